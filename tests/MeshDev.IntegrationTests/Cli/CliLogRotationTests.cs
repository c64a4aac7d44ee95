using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// Service logs end to end (the CLI, its detached daemon, real Python services): a 200 MB writer leaves no more than
/// <c>mesh.logs</c> allows and <c>meshdev logs</c> says that older lines were rotated away; each launch is marked, and
/// a failing service's lines come in the order it wrote them, launch after launch.
/// </summary>
public sealed class CliLogRotationTests
{
    private const string Notice = "older lines rotated away:";

    [Fact]
    public async Task A_service_writing_200_MB_leaves_at_most_the_configured_files_and_logs_says_older_lines_are_gone()
    {
        await using var cli = new MeshdevCli();
        var ports = new ManifestBuilder(cli.Tag);
        await File.WriteAllTextAsync(Path.Combine(cli.Directory, "writer.py"), """
            import os, socket, sys, time
            listener = socket.socket()
            listener.bind(("127.0.0.1", int(os.environ["PORT"])))
            listener.listen(16)
            chunk = (b"x" * 99 + b"\n") * 10000
            for _ in range(200):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.write(b"done\n")
            sys.stdout.flush()
            time.sleep(3600)
            """);
        cli.WriteManifest($$"""
            mesh:
              http: {{ports.SharedPort}}
              xds: {{ports.XdsPort}}
              logs: { maxSize: 1MB, keep: 3 }
            services:
              writer:
                command: python3
                args: [writer.py]
                ready: { tcp: true }
                idleTimeout: never
            """);
        await cli.RunOkAsync("up", "--detach");
        await cli.RunOkAsync("start", "writer");

        var logs = Path.Combine(cli.StateDirectory, "logs");
        var current = Path.Combine(logs, "writer.log");
        await Eventually.UntilAsync(() => EndsWith(current, " done\n"), "the writer's last line in its log", TimeSpan.FromMinutes(5));

        var files = Directory.GetFiles(logs, "writer.log*").Where(f => !f.EndsWith(".rotated", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, files.Length);
        const long OneLine = 28 + 100;
        Assert.InRange(files.Sum(f => new FileInfo(f).Length), 1L << 20, (3L << 20) + OneLine);
        Assert.True(new FileInfo(Path.Combine(cli.StateDirectory, "daemon.log")).Length < 64 * 1024, "the service's output was copied into daemon.log");

        var all = await cli.RunOkAsync("logs", "writer");
        Assert.Contains(Notice, all.Stderr);
        Assert.Contains("244.1 MB written", all.Stderr);
        Assert.EndsWith("\ndone\n", all.Stdout);
        Assert.DoesNotContain(Notice, all.Stdout);

        var recent = await cli.RunOkAsync("logs", "writer", "--tail", "3");
        Assert.Equal("", recent.Stderr);
        Assert.EndsWith("\ndone\n", recent.Stdout);

        // Without a mesh, from the files: the same note.
        await cli.RunOkAsync("down");
        var fromFiles = await cli.RunOkAsync("logs", "writer", "--tail", "1000000");
        Assert.Contains(Notice, fromFiles.Stderr);
        Assert.EndsWith("\ndone\n", fromFiles.Stdout);
    }

    [Fact]
    public async Task Each_launch_is_marked_and_a_failing_service_lines_stay_in_the_order_it_wrote_them()
    {
        await using var cli = new MeshdevCli();
        var ports = new ManifestBuilder(cli.Tag);
        await File.WriteAllTextAsync(Path.Combine(cli.Directory, "app.py"), """
            import sys
            print("connecting to db...")
            print("FATAL: db refused the connection", file=sys.stderr)
            sys.exit(1)
            """);
        cli.WriteManifest($$"""
            mesh:
              http: {{ports.SharedPort}}
              xds: {{ports.XdsPort}}
            services:
              app:
                command: python3
                args: [app.py]
            """);
        await cli.RunOkAsync("up", "--detach");

        // `start` launches it during the backoff too; both launches fail the same way.
        for (var launch = 1; launch <= 2; launch++)
        {
            var start = await cli.RunAsync("start", "app");
            Assert.True(start.ExitCode == 1, start.ToString());
        }

        var expected = new[] { @"^── launch #1 at \d\d:\d\d:\d\d ──$", "^connecting to db\\.\\.\\.$", "^FATAL: db refused the connection$", @"^── launch #2 at \d\d:\d\d:\d\d ──$", "^connecting to db\\.\\.\\.$", "^FATAL: db refused the connection$" };
        var file = (await File.ReadAllLinesAsync(Path.Combine(cli.StateDirectory, "logs", "app.log"))).Select(l => l[28..]).ToArray();
        var shown = (await cli.RunOkAsync("logs", "app")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var lines in new[] { file, shown })
        {
            Assert.Collection(lines, [.. expected.Select(pattern => (Action<string>)(l => Assert.Matches(pattern, l)))]);
        }

        await cli.RunOkAsync("down");
    }

    private static bool EndsWith(string path, string end)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < end.Length)
            {
                return false;
            }

            stream.Seek(-end.Length, SeekOrigin.End);
            var buffer = new byte[end.Length];
            stream.ReadExactly(buffer);
            return System.Text.Encoding.UTF8.GetString(buffer) == end;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }
}
