// The extension entry point (issue 5).
export function activate(): void {}
export function deactivate(): void {}
