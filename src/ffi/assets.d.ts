/** A file import (Bun: `with { type: "file" }`) is the file's path. */
declare module "*.so" {
  const path: string;
  export default path;
}
