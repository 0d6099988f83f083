//! Builds libaspawn.so for linux x86_64 and aarch64 (glibc >= 2.17) with
//! `zig cc`, because Zig 0.11's Compile step cannot pass `-z nodelete`
//! (the reactor thread must never see its code unmapped).
//!
//!   zig build                       prebuilds/linux-{x64,arm64}/libaspawn.so
//!   zig build test                  C tests, native arch, against the fresh x64 library
//!   zig build tests                 test binaries for both arches in zig-out/bin
const std = @import("std");

const Target = struct { dir: []const u8, triple: []const u8, suffix: []const u8 };
const targets = [_]Target{
    .{ .dir = "linux-x64", .triple = "x86_64-linux-gnu.2.17", .suffix = "x64" },
    .{ .dir = "linux-arm64", .triple = "aarch64-linux-gnu.2.17", .suffix = "arm64" },
};

/// Parent-side code: ordinary C, libc allowed.
const parent_sources = [_][]const u8{ "spawn.c", "probe.c", "stack_pool.c", "low_fds.c", "share.c", "dumpable.c", "io.c", "reactor.c", "fds.c", "threads.c", "owners.c", "tree.c", "environ.c" };
/// Code the CLONE_VM child runs: raw syscalls only (CI checks `nm -u`).
const child_sources = [_][]const u8{ "child.c", "mem.c", "clone.c" };

const headers = [_][]const u8{
    "lib/c/include/aspawn.h", "lib/c/internal.h", "lib/c/sys.h", "lib/c/program.h",
    "lib/c/arch/x86_64.h",    "lib/c/arch/aarch64.h",
};

const common_flags = [_][]const u8{
    "-std=gnu11",          "-O2",                    "-fPIC",            "-fvisibility=hidden",
    "-Wall",               "-Wextra",                "-Werror",          "-Wno-unused-parameter",
    "-fno-sanitize=all",   "-fno-stack-protector",   "-fno-asynchronous-unwind-tables",
    "-fno-ident",          "-ffile-prefix-map=.=.",  "-Ilib/c",
};
const child_flags = [_][]const u8{ "-ffreestanding", "-fno-builtin", "-fno-stack-check" };

fn compile(b: *std.Build, t: Target, src: []const u8, extra: []const []const u8) std.Build.LazyPath {
    const run = b.addSystemCommand(&.{ b.zig_exe, "cc", "-target", t.triple, "-c" });
    run.addArgs(&common_flags);
    run.addArgs(extra);
    run.addFileArg(.{ .path = b.fmt("lib/c/{s}", .{src}) });
    const obj = run.addPrefixedOutputFileArg("-o", b.fmt("{s}.o", .{src}));
    run.extra_file_dependencies = &headers;
    return obj;
}

fn objects(b: *std.Build, t: Target) std.ArrayList(std.Build.LazyPath) {
    var list = std.ArrayList(std.Build.LazyPath).init(b.allocator);
    for (parent_sources) |s| list.append(compile(b, t, s, &.{})) catch @panic("oom");
    for (child_sources) |s| list.append(compile(b, t, s, &child_flags)) catch @panic("oom");
    return list;
}

fn library(b: *std.Build, t: Target) std.Build.LazyPath {
    const link = b.addSystemCommand(&.{ b.zig_exe, "cc", "-target", t.triple, "-shared", "-s" });
    for (objects(b, t).items) |o| link.addFileArg(o);
    link.addArgs(&.{
        "-Wl,-z,nodelete", "-Wl,-z,now",      "-Wl,-z,relro",  "-Wl,-z,noexecstack",
        "-Wl,--build-id=none", "-Wl,-soname,libaspawn.so", "-lpthread",
    });
    return link.addPrefixedOutputFileArg("-o", "libaspawn.so");
}

const test_sources = [_][]const u8{
    "test_main.c", "helpers.c", "lib.c", "proc.c", "test_exec.c", "test_steps.c", "test_fdmap.c", "test_signals.c", "test_reactor.c", "test_stress.c", "test_fdtable.c", "test_tree.c", "test_environ.c",
};

/// The C tests dlopen the library they are given, so the same binary tests
/// the committed prebuilt, a fresh build or a sanitizer build.
fn testBinary(b: *std.Build, t: Target) std.Build.LazyPath {
    const cc = b.addSystemCommand(&.{ b.zig_exe, "cc", "-target", t.triple, "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Ilib/c/include", "-Itest/c" });
    for (test_sources) |s| cc.addFileArg(.{ .path = b.fmt("test/c/{s}", .{s}) });
    cc.addArgs(&.{ "-ldl", "-lpthread" });
    cc.extra_file_dependencies = &.{ "lib/c/include/aspawn.h", "test/c/req.h", "test/c/check.h", "test/c/helpers.h", "test/c/lib.h", "test/c/proc.h" };
    return cc.addPrefixedOutputFileArg("-o", b.fmt("aspawn-test-{s}", .{t.suffix}));
}

pub fn build(b: *std.Build) void {
    const tests = b.step("tests", "Build the C test binaries for both arches into zig-out/bin");
    const test_step = b.step("test", "Build and run the C tests natively (x86_64)");
    for (targets) |t| {
        const lib = library(b, t);
        const install = b.addInstallFileWithDir(lib, .{ .custom = b.fmt("../prebuilds/{s}", .{t.dir}) }, "libaspawn.so");
        b.getInstallStep().dependOn(&install.step);

        const bin = testBinary(b, t);
        const bin_install = b.addInstallFileWithDir(bin, .bin, b.fmt("aspawn-test-{s}", .{t.suffix}));
        const lib_install = b.addInstallFileWithDir(lib, .bin, b.fmt("{s}/libaspawn.so", .{t.dir}));
        tests.dependOn(&bin_install.step);
        tests.dependOn(&lib_install.step);

        if (std.mem.eql(u8, t.suffix, "x64")) {
            const run = std.Build.Step.Run.create(b, "run C tests");
            run.addFileArg(bin);
            run.addFileArg(lib);
            run.has_side_effects = true;
            run.stdio = .inherit;
            test_step.dependOn(&run.step);
        }
    }
}
