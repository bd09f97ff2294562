import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The command's own file writes. Each OS error becomes an error carrying the path, which `main` reports as one
 * line with exit 2 (a full disk, a folder where a file should be, a missing parent are the user's to fix, not
 * bugs), and folders are made without Node's recursive mkdir, which spins forever under /proc.
 */

/** An error from the operating system (ENOSPC, EISDIR, ENOENT, EACCES, ...), as Node throws it. */
export function isOsError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
    return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && "syscall" in error;
}

const REASONS: Readonly<Record<string, string>> = {
    ENOENT: "no such file or folder",
    EISDIR: "is a folder, not a file",
    ENOTDIR: "a part of the path is not a folder",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ENOSPC: "no space left on the device",
    EROFS: "read-only file system",
    EEXIST: "already exists",
    EXDEV: "is on another file system",
    EPIPE: "the reader closed the pipe",
};

/** One line for an OS error: the path, what went wrong, and the code (for searching). */
export function osErrorLine(error: NodeJS.ErrnoException & { code: string }, what?: string): string {
    const where = what ?? error.path ?? "";
    const reason = REASONS[error.code] ?? (error.message.split("\n")[0] ?? error.code).replace(/^\w+: /, "");
    return `${where ? `${where}: ` : ""}cannot ${error.syscall ?? "access"}: ${reason} (${error.code})`;
}

/**
 * Makes a folder and its missing parents, one level at a time from the nearest existing one. (`mkdirSync` with
 * `recursive: true` loops forever on a path under /proc, where mkdir fails with ENOENT below an existing folder.)
 */
export function makeDirectory(dir: string): void {
    const missing: string[] = [];
    let current = path.resolve(dir);
    while (!fs.existsSync(current)) {
        missing.push(current);
        const parent = path.dirname(current);
        if (parent === current) {
            break;
        }
        current = parent;
    }
    if (missing.length === 0 && !fs.statSync(current).isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
            code: "ENOTDIR",
            syscall: "mkdir",
            path: current,
        });
    }
    for (const folder of missing.reverse()) {
        fs.mkdirSync(folder);
    }
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename. */
export function writeFileAtomic(file: string, text: string): void {
    makeDirectory(path.dirname(file));
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
        throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${file}'`), {
            code: "EISDIR",
            syscall: "open",
            path: file,
        });
    }
    const temporary = `${file}.${process.pid}.tmp`;
    try {
        fs.writeFileSync(temporary, text);
        fs.renameSync(temporary, file);
    } catch (error) {
        fs.rmSync(temporary, { force: true });
        if (isOsError(error)) {
            error.path = file;
        }
        throw error;
    }
}
