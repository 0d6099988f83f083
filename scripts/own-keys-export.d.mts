export function ownKeysExport(code: string): string;
export function patchFile(path: string): void;
