//! Every C compile line of the project: the shipped libraries, and the
//! variants that check them, from the same source lists, flag sets and
//! compile function, so that what is checked is what is shipped.
//! The library is built with `zig cc`, because Zig 0.11's Compile step cannot
//! pass `-z nodelete` (the reactor thread must never see its code unmapped).
//!
//!   zig build                   prebuilds/linux-{x64,arm64}/libaspawn.so (glibc >= 2.17)
//!   zig build test              C tests, native arch, against the fresh x64 library
//!   zig build tests             test binaries and libraries for both arches in zig-out/bin
//!   zig build child-objects     zig-out/child/{x64,arm64}/*.o: the very objects of the
//!                               child's code linked into prebuilds/ (check-child-symbols.sh)
//!   zig build bench-c           the C benchmark, zig-out/bin/bench-c (bench-c.sh), and
//!                               zig-out/bin/bench-c-sync, the floor of bench-sync.sh,
//!                               zig-out/bin/bench-c-channel, bench/worker.ts's floor,
//!                               and zig-out/lib/libbench-floor.so, which bench/sync.ts
//!                               loads to time the floor in its own process
//!   zig build sanitize          ASan + UBSan library and C tests in zig-out/sanitize
//!                               (sanitize.sh): the shipped compile lines with clang,
//!                               -O1 -g, and the sanitizers on the parent's code
//!   zig build fuzz              the decoder and /proc status fuzzers and the seed writer in zig-out/fuzz (fuzz.sh)
//!
//! sanitize and fuzz need Debian's clang (-Dclang=clang-16, the default, with
//! libclang-rt-16-dev and libfuzzer-16-dev): Zig 0.11 ships no sanitizer runtime.
const std = @import("std");
const LazyPath = std.Build.LazyPath;

const Target = struct { dir: []const u8, triple: []const u8, suffix: []const u8 };
const targets = [_]Target{
    .{ .dir = "linux-x64", .triple = "x86_64-linux-gnu.2.17", .suffix = "x64" },
    .{ .dir = "linux-arm64", .triple = "aarch64-linux-gnu.2.17", .suffix = "arm64" },
};

/// Parent-side code: ordinary C, libc allowed.
const parent_sources = [_][]const u8{ "spawn.c", "probe.c", "stack_pool.c", "low_fds.c", "share.c", "dumpable.c", "io.c", "reactor.c", "fds.c", "threads.c", "owners.c", "tree.c", "environ.c", "pty.c", "sync.c", "sock.c", "fused.c", "launch.c", "helper_thread.c" };
/// Code the CLONE_VM child runs: raw syscalls only (CI checks `nm -u`).
const child_sources = [_][]const u8{ "child.c", "child_signals.c", "mem.c", "clone.c" };

const headers = [_][]const u8{
    "lib/c/include/aspawn.h", "lib/c/internal.h", "lib/c/sys.h", "lib/c/program.h",
    "lib/c/arch/x86_64.h",    "lib/c/arch/aarch64.h", "lib/c/status_mask.h",
};

const common_flags = [_][]const u8{
    "-std=gnu11",          "-O2",                    "-fPIC",            "-fvisibility=hidden",
    "-Wall",               "-Wextra",                "-Werror",          "-Wno-unused-parameter",
    "-fno-sanitize=all",   "-fno-stack-protector",   "-fno-asynchronous-unwind-tables",
    "-fno-ident",          "-ffile-prefix-map=.=.",  "-Ilib/c",
};
/// Added to common_flags for the child's code: nothing that calls outside it.
const child_flags = [_][]const u8{ "-ffreestanding", "-fno-builtin", "-fno-stack-check" };
const link_flags = [_][]const u8{
    "-Wl,-z,nodelete", "-Wl,-z,now",      "-Wl,-z,relro",  "-Wl,-z,noexecstack",
    "-Wl,--build-id=none", "-Wl,-soname,libaspawn.so", "-lpthread",
};

const test_sources = [_][]const u8{
    "test_main.c", "helpers.c", "lib.c", "proc.c", "test_exec.c", "test_steps.c", "test_fdmap.c", "test_signals.c", "test_reactor.c", "test_stress.c", "test_fdtable.c", "test_tree.c", "test_environ.c", "test_pty.c", "test_sync.c", "test_sock.c", "test_launch.c",
};
const test_headers = [_][]const u8{ "lib/c/include/aspawn.h", "test/c/req.h", "test/c/check.h", "test/c/helpers.h", "test/c/lib.h", "test/c/proc.h" };
const test_flags = [_][]const u8{ "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Ilib/c/include", "-Itest/c" };

const sanitize_flags = [_][]const u8{ "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer" };

/// bench/c, x86_64 only (the floor's clone3 trampoline is x86_64 assembly).
/// The loader and the /proc checks are the C tests' own (test/c). The floor's
/// child (bench/c/floor_child.c) runs in our memory before exec like the
/// library's child, and is compiled exactly like it.
const bench_sources = [_][]const u8{ "bench/c/asp_lib.c", "bench/c/echo_capture.c", "bench/c/echo_floor.c", "bench/c/floor.c", "bench/c/floors.c", "bench/c/loop_floor.c", "bench/c/loop_storm.c", "bench/c/main.c", "bench/c/methods.c", "bench/c/parents.c", "bench/c/reader_floor.c", "bench/c/reader_loop.c", "bench/c/report.c", "bench/c/stats.c", "bench/c/vfork_spawn.c", "test/c/lib.c", "test/c/proc.c" };
const bench_headers = [_][]const u8{ "lib/c/include/aspawn.h", "bench/c/bench.h", "bench/c/floor_child.h", "test/c/lib.h", "test/c/proc.h" };
const bench_flags = [_][]const u8{ "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Ilib/c/include", "-Itest/c" };

/// One build of the library: its compiler (with its target) and what it adds
/// to the shipped flags.
const Variant = struct {
    cc: []const []const u8,
    /// After the flags of every object.
    all: []const []const u8 = &.{},
    /// After the flags of the parent's objects only: the child's code never
    /// calls into a runtime, in any variant.
    parent: []const []const u8 = &.{},
    /// Right after -shared.
    link: []const []const u8,
};

fn zigCc(b: *std.Build, t: Target) []const []const u8 {
    return b.dupeStrings(&.{ b.zig_exe, "cc", "-target", t.triple });
}

/// `CC -c FLAGS... SRC -o NAME.o`, rerun when SRC or one of deps changes.
fn compile(b: *std.Build, cc: []const []const u8, flags: []const []const []const u8, src: []const u8, deps: []const []const u8) LazyPath {
    const run = b.addSystemCommand(cc);
    run.addArg("-c");
    for (flags) |f| run.addArgs(f);
    run.addFileArg(.{ .path = src });
    run.extra_file_dependencies = deps;
    return run.addPrefixedOutputFileArg("-o", b.fmt("{s}.o", .{std.fs.path.basename(src)}));
}

const Objects = struct { parent: [parent_sources.len]LazyPath, child: [child_sources.len]LazyPath };

fn objects(b: *std.Build, v: Variant) Objects {
    var o: Objects = undefined;
    for (parent_sources, &o.parent) |s, *obj|
        obj.* = compile(b, v.cc, &.{ &common_flags, v.parent, v.all }, b.fmt("lib/c/{s}", .{s}), &headers);
    for (child_sources, &o.child) |s, *obj|
        obj.* = compile(b, v.cc, &.{ &common_flags, &child_flags, v.all }, b.fmt("lib/c/{s}", .{s}), &headers);
    return o;
}

fn library(b: *std.Build, v: Variant, o: Objects) LazyPath {
    const link = b.addSystemCommand(v.cc);
    link.addArg("-shared");
    link.addArgs(v.link);
    for (o.parent) |obj| link.addFileArg(obj);
    for (o.child) |obj| link.addFileArg(obj);
    link.addArgs(&link_flags);
    return link.addPrefixedOutputFileArg("-o", "libaspawn.so");
}

/// The C tests dlopen the library they are given, so the same binary tests
/// the committed prebuilt, a fresh build or a sanitizer build.
fn testBinary(b: *std.Build, cc: []const []const u8, extra: []const []const u8, name: []const u8) LazyPath {
    const run = b.addSystemCommand(cc);
    run.addArgs(&test_flags);
    run.addArgs(extra);
    for (test_sources) |s| run.addFileArg(.{ .path = b.fmt("test/c/{s}", .{s}) });
    run.addArgs(&.{ "-ldl", "-lpthread" });
    run.extra_file_dependencies = &test_headers;
    return run.addPrefixedOutputFileArg("-o", name);
}

fn benchBinary(b: *std.Build, t: Target) LazyPath {
    const cc = zigCc(b, t);
    const link = b.addSystemCommand(cc);
    for (bench_sources) |s| link.addFileArg(compile(b, cc, &.{&bench_flags}, s, &bench_headers));
    link.addFileArg(compile(b, cc, &.{ &common_flags, &child_flags }, "bench/c/floor_child.c", &bench_headers));
    const out = link.addPrefixedOutputFileArg("-o", "bench-c");
    link.addArg("-ldl");
    return out;
}

/// bench-c-sync: the C floor of a blocking run (bench/sync.ts), with the
/// benchmark's clock and the C tests' loader.
const bench_sync_sources = [_][]const u8{ "bench/c/sync_floor.c", "bench/c/sync_jobs.c", "bench/c/stats.c", "bench/c/vfork_spawn.c", "test/c/lib.c", "test/c/proc.c" };

fn benchSyncBinary(b: *std.Build, t: Target) LazyPath {
    const cc = zigCc(b, t);
    const link = b.addSystemCommand(cc);
    for (bench_sync_sources) |s| link.addFileArg(compile(b, cc, &.{&bench_flags}, s, &(bench_headers ++ [_][]const u8{"test/c/req.h"})));
    const out = link.addPrefixedOutputFileArg("-o", "bench-c-sync");
    link.addArg("-ldl");
    return out;
}

/// libbench-floor.so: the floors the scenarios time in the runtime's own
/// process, in turn with the library: sync_jobs.c's beside runSync
/// (bench/sync.ts), floor.c's spawn beside spawn() (bench/scenarios/spawn-call.ts),
/// echo_capture.c's beside run() (bench/scenarios/echo.ts), reader_loop.c's
/// beside stdout (bench/scenarios/pipe.ts), loop_storm.c's rounds beside the
/// storm's (bench/scenarios/storm.ts).
fn benchFloorLibrary(b: *std.Build, t: Target) LazyPath {
    const cc = zigCc(b, t);
    const link = b.addSystemCommand(cc);
    link.addArg("-shared");
    for ([_][]const u8{ "bench/c/sync_jobs.c", "bench/c/echo_capture.c", "bench/c/vfork_spawn.c", "bench/c/floor.c", "bench/c/spawn_floor_lib.c", "bench/c/wake_floor.c", "bench/c/reader_loop.c", "bench/c/loop_storm.c", "bench/c/stats.c" }) |s|
        link.addFileArg(compile(b, cc, &.{ &bench_flags, &.{"-fPIC"} }, s, &bench_headers));
    link.addFileArg(compile(b, cc, &.{ &common_flags, &child_flags }, "bench/c/floor_child.c", &bench_headers));
    return link.addPrefixedOutputFileArg("-o", "libbench-floor.so");
}

/// bench-c-channel: the floor of a worker call's round trip (bench/worker.ts).
fn benchChannelBinary(b: *std.Build, t: Target) LazyPath {
    const cc = zigCc(b, t);
    const link = b.addSystemCommand(cc);
    for ([_][]const u8{ "bench/c/channel_floor.c", "bench/c/stats.c" }) |s| link.addFileArg(compile(b, cc, &.{&bench_flags}, s, &bench_headers));
    return link.addPrefixedOutputFileArg("-o", "bench-c-channel");
}

fn install(b: *std.Build, step: *std.Build.Step, file: LazyPath, dir: std.Build.InstallDir, name: []const u8) void {
    step.dependOn(&b.addInstallFileWithDir(file, dir, name).step);
}

pub fn build(b: *std.Build) void {
    const clang = b.option([]const u8, "clang", "The clang of the sanitize and fuzz builds (default clang-16)") orelse "clang-16";
    const tests = b.step("tests", "Build the C test binaries for both arches into zig-out/bin");
    const test_step = b.step("test", "Build and run the C tests natively (x86_64)");
    const child_step = b.step("child-objects", "Install the child's objects of both shipped libraries into zig-out/child");
    const bench_step = b.step("bench-c", "Build the C benchmarks (x86_64) into zig-out/bin/bench-c, bench-c-sync and bench-c-channel, and zig-out/lib/libbench-floor.so");
    const sanitize_step = b.step("sanitize", "Build the ASan + UBSan library and C tests into zig-out/sanitize (-Dclang)");
    const fuzz_step = b.step("fuzz", "Build the decoder and /proc status fuzzers and the seed writer into zig-out/fuzz (-Dclang)");

    for (targets) |t| {
        const shipped = Variant{ .cc = zigCc(b, t), .link = &.{"-s"} };
        const objs = objects(b, shipped);
        const lib = library(b, shipped, objs);
        install(b, b.getInstallStep(), lib, .{ .custom = b.fmt("../prebuilds/{s}", .{t.dir}) }, "libaspawn.so");
        for (child_sources, objs.child) |s, obj|
            install(b, child_step, obj, .{ .custom = b.fmt("child/{s}", .{t.suffix}) }, b.fmt("{s}.o", .{std.fs.path.stem(s)}));

        const bin = testBinary(b, shipped.cc, &.{}, b.fmt("aspawn-test-{s}", .{t.suffix}));
        install(b, tests, bin, .bin, b.fmt("aspawn-test-{s}", .{t.suffix}));
        install(b, tests, lib, .bin, b.fmt("{s}/libaspawn.so", .{t.dir}));

        if (std.mem.eql(u8, t.suffix, "x64")) {
            const run = std.Build.Step.Run.create(b, "run C tests");
            run.addFileArg(bin);
            run.addFileArg(lib);
            run.has_side_effects = true;
            run.stdio = .inherit;
            test_step.dependOn(&run.step);

            install(b, bench_step, benchBinary(b, t), .bin, "bench-c");
            install(b, bench_step, benchSyncBinary(b, t), .bin, "bench-c-sync");
            install(b, bench_step, benchChannelBinary(b, t), .bin, "bench-c-channel");
            install(b, bench_step, benchFloorLibrary(b, t), .lib, "libbench-floor.so");
        }
    }

    // Native, with the host's clang.
    const cc = b.dupeStrings(&.{clang});
    const sanitized = Variant{ .cc = cc, .all = &.{ "-O1", "-g" }, .parent = &sanitize_flags, .link = &sanitize_flags };
    const san_dir = std.Build.InstallDir{ .custom = "sanitize" };
    install(b, sanitize_step, library(b, sanitized, objects(b, sanitized)), san_dir, "libaspawn.so");
    install(b, sanitize_step, testBinary(b, cc, &sanitize_flags, "aspawn-test"), san_dir, "aspawn-test");

    const fuzz_dir = std.Build.InstallDir{ .custom = "fuzz" };
    const seeds = b.addSystemCommand(cc);
    seeds.addArgs(&test_flags);
    seeds.addArg("-Ilib/c");
    seeds.addFileArg(.{ .path = "test/fuzz/make_seeds.c" });
    seeds.extra_file_dependencies = &test_headers;
    install(b, fuzz_step, seeds.addPrefixedOutputFileArg("-o", "make-seeds"), fuzz_dir, "make-seeds");
    const fuzzer = b.addSystemCommand(cc);
    fuzzer.addArgs(&test_flags);
    fuzzer.addArgs(&.{ "-Ilib/c", "-fsanitize=fuzzer" });
    fuzzer.addArgs(&sanitize_flags);
    fuzzer.addFileArg(.{ .path = "test/fuzz/fuzz_decoder.c" });
    fuzzer.extra_file_dependencies = &headers;
    install(b, fuzz_step, fuzzer.addPrefixedOutputFileArg("-o", "fuzz-decoder"), fuzz_dir, "fuzz-decoder");
    const status = b.addSystemCommand(cc);
    status.addArgs(&test_flags);
    status.addArgs(&.{ "-Ilib/c", "-D_GNU_SOURCE", "-fsanitize=fuzzer" });
    status.addArgs(&sanitize_flags);
    status.addFileArg(.{ .path = "test/fuzz/fuzz_status.c" });
    status.extra_file_dependencies = &headers;
    install(b, fuzz_step, status.addPrefixedOutputFileArg("-o", "fuzz-status"), fuzz_dir, "fuzz-status");
}
