// The language server entry point (issue 4).
export {};
