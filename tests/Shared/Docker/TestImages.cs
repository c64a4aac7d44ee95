using System.Diagnostics;
using Docker.DotNet;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace MeshDev.Testing.Docker;

/// <summary>Tests that use the Docker engine and the test images: <c>[Collection("docker")]</c>. They run one after another.</summary>
[CollectionDefinition("docker")]
public sealed class DockerCollection : ICollectionFixture<TestImages>;

/// <summary>
/// The images Docker tests run, built locally once per test run (no registry can be reached here) and only when missing:
/// each tag is a hash of the image's content, so a later run finds them and builds nothing.
/// </summary>
public sealed class TestImages : IAsyncLifetime
{
    // Another test run (another engineer's, an IDE's) may build the same images right now: one at a time, across processes.
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "meshdev-test-images.lock");
    private static readonly TimeSpan BuildDeadline = TimeSpan.FromMinutes(10);

    private readonly IMessageSink _diagnostics;
    private DockerClient? _docker;

    /// <summary>Created by xunit, which passes its diagnostic sink (shown with <c>diagnosticMessages</c> on).</summary>
    public TestImages(IMessageSink diagnostics) => _diagnostics = diagnostics;

    /// <summary>A client of the engine the images were built in (see <see cref="DockerEngine"/>).</summary>
    public DockerClient Docker => _docker ?? throw new InvalidOperationException("the test images are not built yet");

    /// <summary>
    /// <c>meshdev-test/busybox:{hash}</c>: Debian's static busybox, with sh, httpd, wget, sleep, echo, cat, test, nc, true,
    /// false, env, ls and kill in /bin and an index.html in /www. Default command: httpd serving /www on 127.0.0.1:$PORT (8080).
    /// </summary>
    public string Busybox { get; private set; } = "";

    /// <summary>
    /// <c>meshdev-test/busybox-health:{hash}</c>: <see cref="Busybox"/> with a HEALTHCHECK (every 1 s, wget of
    /// http://127.0.0.1:$PORT/) and a command that starts httpd after START_DELAY_S seconds (default 1).
    /// </summary>
    public string BusyboxHealth { get; private set; } = "";

    /// <summary>
    /// <c>meshdev-test/dotnet-aot:{hash}</c>: tests/MeshDev.ContainerService published with NativeAOT, alone with the
    /// libraries it links against; ENTRYPOINT is the service (PORT, MESHDEV_SERVICE, EXIT_AT_ONCE, START_DELAY_MS).
    /// </summary>
    public string DotnetAot { get; private set; } = "";

    /// <summary>The body of <c>GET /</c> from the busybox images' httpd.</summary>
    public string BusyboxIndexHtml => BusyboxImage.IndexHtml;

    /// <summary>How long making sure the images exist took in this run (building them, or only finding them).</summary>
    public TimeSpan PreparationTime { get; private set; }

    /// <summary>Starts a <see cref="TestRegistry"/> serving <see cref="Busybox"/> as <c>127.0.0.1:{port}/meshdev-test/pullme:1</c>.</summary>
    public Task<TestRegistry> StartRegistryAsync(CancellationToken cancellationToken = default) =>
        TestRegistry.StartAsync(Docker, Busybox, cancellationToken);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(BuildDeadline);
        _docker = await DockerEngine.ConnectAsync(deadline.Token);
        await using var exclusive = await LockAsync(deadline.Token);

        // The NativeAOT publish takes tens of seconds; the busybox images are built meanwhile.
        var busybox = Task.Run(async () =>
        {
            Busybox = await BusyboxImage.EnsureAsync(_docker, deadline.Token);
            BusyboxHealth = await BusyboxHealthImage.EnsureAsync(_docker, Busybox, deadline.Token);
        });
        var aot = Task.Run(async () => DotnetAot = await DotnetAotImage.EnsureAsync(_docker, deadline.Token));
        await Task.WhenAll(busybox, aot);

        PreparationTime = Stopwatch.GetElapsedTime(started);
        _diagnostics.OnMessage(new DiagnosticMessage(
            $"test images ready in {PreparationTime.TotalSeconds:0.0} s: {Busybox}, {BusyboxHealth}, {DotnetAot}"));
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        // The images stay: the next run reuses them.
        _docker?.Dispose();
        return Task.CompletedTask;
    }

    private static async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Linux; the kernel drops it if this process dies.
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }
}
