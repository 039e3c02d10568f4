// The webview message protocol (issue 6).
export {};
