// The diagram webview entry point (issue 6).
export {};
