/** Linux errno values (the generic numbering both supported arches use). */
const table: [number, string, string][] = [
  [1, "EPERM", "operation not permitted"],
  [2, "ENOENT", "no such file or directory"],
  [3, "ESRCH", "no such process"],
  [4, "EINTR", "interrupted system call"],
  [5, "EIO", "input/output error"],
  [6, "ENXIO", "no such device or address"],
  [7, "E2BIG", "argument list too long"],
  [8, "ENOEXEC", "exec format error"],
  [9, "EBADF", "bad file descriptor"],
  [10, "ECHILD", "no child processes"],
  [11, "EAGAIN", "resource temporarily unavailable"],
  [12, "ENOMEM", "cannot allocate memory"],
  [13, "EACCES", "permission denied"],
  [14, "EFAULT", "bad address"],
  [16, "EBUSY", "device or resource busy"],
  [17, "EEXIST", "file exists"],
  [18, "EXDEV", "invalid cross-device link"],
  [19, "ENODEV", "no such device"],
  [20, "ENOTDIR", "not a directory"],
  [21, "EISDIR", "is a directory"],
  [22, "EINVAL", "invalid argument"],
  [23, "ENFILE", "too many open files in system"],
  [24, "EMFILE", "too many open files"],
  [25, "ENOTTY", "inappropriate ioctl for device"],
  [26, "ETXTBSY", "text file busy"],
  [27, "EFBIG", "file too large"],
  [28, "ENOSPC", "no space left on device"],
  [29, "ESPIPE", "illegal seek"],
  [30, "EROFS", "read-only file system"],
  [31, "EMLINK", "too many links"],
  [32, "EPIPE", "broken pipe"],
  [34, "ERANGE", "numerical result out of range"],
  [35, "EDEADLK", "resource deadlock avoided"],
  [36, "ENAMETOOLONG", "file name too long"],
  [38, "ENOSYS", "function not implemented"],
  [39, "ENOTEMPTY", "directory not empty"],
  [40, "ELOOP", "too many levels of symbolic links"],
  [61, "ENODATA", "no data available"],
  [75, "EOVERFLOW", "value too large for defined data type"],
  [88, "ENOTSOCK", "socket operation on non-socket"],
  [90, "EMSGSIZE", "message too long"],
  [95, "EOPNOTSUPP", "operation not supported"],
  [97, "EAFNOSUPPORT", "address family not supported by protocol"],
  [98, "EADDRINUSE", "address already in use"],
  [99, "EADDRNOTAVAIL", "cannot assign requested address"],
  [100, "ENETDOWN", "network is down"],
  [101, "ENETUNREACH", "network is unreachable"],
  [103, "ECONNABORTED", "software caused connection abort"],
  [104, "ECONNRESET", "connection reset by peer"],
  [105, "ENOBUFS", "no buffer space available"],
  [107, "ENOTCONN", "transport endpoint is not connected"],
  [110, "ETIMEDOUT", "connection timed out"],
  [111, "ECONNREFUSED", "connection refused"],
  [113, "EHOSTUNREACH", "no route to host"],
  [116, "ESTALE", "stale file handle"],
  [122, "EDQUOT", "disk quota exceeded"],
];

const byNumber = new Map(table.map(([n, code, msg]) => [n, { code, msg }]));

export function errnoCode(errno: number): string {
  return byNumber.get(errno)?.code ?? `E${errno}`;
}

export function errnoMessage(errno: number): string {
  return byNumber.get(errno)?.msg ?? `error ${errno}`;
}

export const EAGAIN = 11;
export const EPIPE = 32;
export const ECONNRESET = 104;
export const EBADF = 9;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const EOPNOTSUPP = 95;
export const ENOENT = 2;
export const ENOTDIR = 20;
export const EACCES = 13;
export const EINVAL = 22;
export const EPERM = 1;
export const EMFILE = 24;
export const ENOSYS = 38;
export const ENOBUFS = 105;
export const ETIMEDOUT = 110;

const byCode = new Map(table.map(([n, code]) => [code, n]));

/** The Linux number of an error code ("ENOENT" → 2), for errors a runtime reports by code. */
export function errnoNumber(code: string): number | undefined {
  return byCode.get(code);
}

/** How a runtime reports a failure: its code ("ENOENT"), its errno, its "(os error N)" (Deno), else EIO. */
export function errnoOf(e: unknown): number {
  const code = (e as { code?: unknown })?.code;
  const n = typeof code === "string" ? errnoNumber(code) : undefined;
  if (n !== undefined) return n;
  const errno = (e as { errno?: unknown })?.errno;
  if (typeof errno === "number" && errno !== 0) return Math.abs(errno);
  const os = /\(os error (\d+)\)/.exec(String((e as Error)?.message));
  return os ? Number(os[1]) : EIO;
}
