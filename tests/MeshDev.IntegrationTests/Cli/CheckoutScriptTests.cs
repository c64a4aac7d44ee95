using System.Diagnostics;
using System.Xml.Linq;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>The README's first command runs <c>./meshdev</c>: it builds the CLI from the checkout when needed, then runs it.</summary>
public sealed class CheckoutScriptTests
{
    [Fact]
    public async Task The_script_builds_the_cli_when_it_is_missing_or_older_than_its_sources_and_then_runs_it()
    {
        var (exitCode, stdout, stderr) = await RunScriptAsync("--version");
        Assert.True(exitCode == 0, $"./meshdev --version exited {exitCode}: {stderr}");
        // The build's output is on stderr: stdout is the command's alone.
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);

        // Now current: the second run starts the CLI without a build.
        (exitCode, stdout, stderr) = await RunScriptAsync("--version");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("building the meshdev CLI", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_while_another_run_builds_the_cli_waits_for_that_build_and_then_uses_it()
    {
        var (exitCode, _, stderr) = await RunScriptAsync("--version");
        Assert.True(exitCode == 0, $"./meshdev --version exited {exitCode}: {stderr}");
        var output = Path.Combine(GrpcTestPaths.RepositoryRoot, "artifacts", "meshdev");
        var app = Path.Combine(output, "meshdev.dll");
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Another ./meshdev is building: it holds the build lock (flock, as .NET takes it for FileShare.None), and the
        // CLI is older than its sources until that build is done.
        var building = new FileStream(Path.Combine(output, ".build.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var script = Process.Start(new ProcessStartInfo(Path.Combine(GrpcTestPaths.RepositoryRoot, "meshdev"), "--version")
        {
            WorkingDirectory = GrpcTestPaths.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            File.SetLastWriteTimeUtc(app, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            var stdout = script.StandardOutput.ReadToEndAsync(limit.Token);
            var waiting = await script.StandardError.ReadLineAsync(limit.Token);
            Assert.Equal("meshdev   | waiting for the CLI build another ./meshdev started", waiting);

            // That build ends: the CLI is current, the lock is free.
            File.SetLastWriteTimeUtc(app, DateTime.UtcNow);
            building.Dispose();
            var rest = await script.StandardError.ReadToEndAsync(limit.Token);
            await script.WaitForExitAsync(limit.Token);

            Assert.True(script.ExitCode == 0, $"./meshdev --version exited {script.ExitCode}: {rest}");
            Assert.StartsWith("0.1.0", (await stdout).Trim(), StringComparison.Ordinal);
            Assert.DoesNotContain("building the meshdev CLI", rest, StringComparison.Ordinal);
        }
        finally
        {
            building.Dispose();
            File.SetLastWriteTimeUtc(app, DateTime.UtcNow);
            if (!script.HasExited)
            {
                script.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void The_one_assembly_build_compiles_the_sources_and_packages_of_the_cli_project_graph()
    {
        // The projects the CLI references, directly or not, with the packages, protos, resources and aliases they declare.
        var graph = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.Combine(GrpcTestPaths.RepositoryRoot, "src", "MeshDev.Cli", "MeshDev.Cli.csproj")]);
        while (pending.TryPop(out var project))
        {
            if (graph.Add(Path.GetFullPath(project)))
            {
                foreach (var reference in Items(project, "ProjectReference"))
                {
                    pending.Push(Path.Combine(Path.GetDirectoryName(project)!, reference));
                }
            }
        }

        var checkout = Path.Combine(GrpcTestPaths.RepositoryRoot, "devtools", "checkout", "meshdev.csproj");
        var compiled = Items(checkout, "Compile").Select(include => include.Split('/')[3]).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(graph.Select(p => Path.GetFileName(Path.GetDirectoryName(p)!)).Order(StringComparer.Ordinal), compiled.Order(StringComparer.Ordinal));
        foreach (var kind in (string[])["PackageReference", "FrameworkReference", "Using"])
        {
            Assert.Equal(graph.SelectMany(p => Items(p, kind)).ToHashSet(StringComparer.Ordinal).Order(StringComparer.Ordinal), Items(checkout, kind).Order(StringComparer.Ordinal));
        }

        Assert.Equal(graph.SelectMany(p => Items(p, "Protobuf").Select(Path.GetFileName)).Order(StringComparer.Ordinal), Items(checkout, "Protobuf").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(graph.Sum(p => Items(p, "EmbeddedResource").Count()), Items(checkout, "EmbeddedResource").Count());
    }

    private static IEnumerable<string> Items(string project, string kind) =>
        XDocument.Load(project).Descendants(kind).Select(item => (string?)item.Attribute("Include")).OfType<string>();

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunScriptAsync(params string[] args)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        return await ChildProcess.RunSplitAsync(Path.Combine(GrpcTestPaths.RepositoryRoot, "meshdev"), args, GrpcTestPaths.RepositoryRoot, limit.Token);
    }
}
