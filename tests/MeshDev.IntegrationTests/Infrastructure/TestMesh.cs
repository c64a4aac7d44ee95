using System.Net.Http.Json;
using System.Text.Json;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// One test's mesh, run in the test process: its own temp directory and manifest (free ports picked at run time),
/// a started <see cref="MeshHost"/> whose services are real TestService processes tagged with <see cref="Tag"/>,
/// an HttpClient that never uses a proxy, and a record of every state change. Disposing stops the mesh, then
/// checks that no process of the test is left (killing and reporting any that is) and deletes the directory.
/// </summary>
internal sealed class TestMesh : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Dictionary<string, string> NoOtel = [];

    private readonly Lock _gate = new();
    private readonly List<ServiceStateChange> _changes = [];
    private readonly List<string> _serviceOutput = [];
    private MeshHost? _host;
    private IReadOnlyList<IServiceRuntime>? _runtimes;
    private int _disposed;

    private TestMesh(string tag, string directory)
    {
        Tag = tag;
        Directory = directory;
        Http = NewHttpClient();
    }

    /// <summary>The value of MESHDEV_TEST_TAG in every process this test launches.</summary>
    public string Tag { get; }

    /// <summary>The temp directory holding the manifest and the mesh's <c>.meshdev</c> state.</summary>
    public string Directory { get; }

    public MeshHost Host => _host ?? throw new InvalidOperationException("the mesh is not started");

    public ManifestBuilder Manifest { get; private set; } = null!;

    public int SharedPort => Manifest.SharedPort;

    /// <summary>The id the mesh labels its containers with.</summary>
    public string MeshId => MeshIdentity.For(Path.Combine(Directory, ".meshdev"));

    /// <summary>Sends no proxy, follows no redirect; generous timeout (only a hang runs into it).</summary>
    public HttpClient Http { get; }

    /// <summary>Something for a raised event to run, e.g. to record it next to what a test observes itself.</summary>
    public Action<ServiceStateChange>? OnStateChange { get; set; }

    /// <summary>Writes the manifest <paramref name="configure"/> describes and starts a mesh for it.</summary>
    /// <param name="time">The mesh's clock (only its wall-clock reading matters to the tests that pass one).</param>
    /// <param name="runtimes">Runtimes to use instead of the mesh's defaults, given the mesh's directory.</param>
    /// <param name="watch">Run as <c>meshdev up --watch</c>: project services are rebuilt as soon as their sources change.</param>
    /// <param name="otel">The mesh's OTEL_* settings (export is on when they name an endpoint); none when null, whatever the test process's environment says.</param>
    public static async Task<TestMesh> StartAsync(Action<ManifestBuilder> configure, TimeProvider? time = null, Func<string, IReadOnlyList<IServiceRuntime>>? runtimes = null, bool watch = false,
        IReadOnlyDictionary<string, string>? otel = null)
    {
        var tag = TaggedProcesses.NewTag();
        var directory = System.IO.Directory.CreateTempSubdirectory("meshdev-it-").FullName;
        var mesh = new TestMesh(tag, directory);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var manifest = new ManifestBuilder(tag);
                configure(manifest);
                mesh.Manifest = manifest;
                var loaded = ManifestLoader.Load(manifest.WriteTo(directory));
                try
                {
                    mesh._host = await MeshHost.StartAsync(loaded, new MeshHostOptions
                    {
                        Time = time ?? TimeProvider.System,
                        Prebuild = false,
                        Watch = watch,
                        Runtimes = mesh._runtimes = runtimes?.Invoke(directory),
                        OtelSettings = otel ?? NoOtel,
                        OnStateChange = mesh.Record,
                        OnServiceOutput = mesh.RecordOutput,
                    });
                    return mesh;
                }
                catch (MeshStartException) when (attempt < StartAttempts)
                {
                    // A port picked free a moment ago was taken by someone else meanwhile: pick new ones.
                }
            }
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the mesh and starts a new one on the same manifest and state directory (as <c>meshdev down</c> then
    /// <c>up</c>), with the mesh's own runtimes; the state changes recorded so far are forgotten.
    /// </summary>
    public async Task RestartAsync()
    {
        await Host.DisposeAsync().AsTask().WaitAsync(Eventually.Deadline);
        lock (_gate)
        {
            _changes.Clear();
        }

        _host = await MeshHost.StartAsync(ManifestLoader.Load(Path.Combine(Directory, "meshdev.yaml")), new MeshHostOptions
        {
            Prebuild = false,
            OnStateChange = Record,
            OnServiceOutput = RecordOutput,
        });
    }

    public static HttpClient NewHttpClient() =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Eventually.Deadline };

    public int MeshPort(string service) => Manifest.MeshPorts[service];

    /// <summary><c>http://127.0.0.1:{meshPort of service}{path}</c>: the service's own mesh port.</summary>
    public Uri Url(string service, string path = "/") => new($"http://127.0.0.1:{MeshPort(service)}{path}");

    public ServiceActivator Service(string name) => Host.Activator.Find(name) ?? throw new ArgumentException($"no service '{name}'", nameof(name));

    public ServiceStatus Status(string name) => Host.GetStatus().Services.Single(s => s.Name == name);

    /// <summary>Every state change of <paramref name="service"/> so far (of all services when null), in order.</summary>
    public IReadOnlyList<ServiceStateChange> Changes(string? service = null)
    {
        lock (_gate)
        {
            return [.. _changes.Where(c => service is null || c.Service == service)];
        }
    }

    /// <summary>Every line the services wrote so far, as <c>service | line</c>, for failure messages.</summary>
    public string Output()
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _serviceOutput);
        }
    }

    public Task WaitForStateAsync(string service, ServiceState state, TimeSpan? timeout = null)
    {
        var activator = Service(service);
        return Eventually.UntilAsync(() => activator.State == state, new Lazy<string>(() =>
            $"service '{service}' to be {state} (it is {activator.State}; changes: {string.Join("; ", Changes(service).Select(c => $"{c.From}->{c.To} {c.Detail}"))}){Environment.NewLine}{Output()}"), timeout);
    }

    /// <summary>Waits for a raised state change of <paramref name="service"/> (already raised or still to come) that matches.</summary>
    public async Task<ServiceStateChange> WaitForChangeAsync(string service, Func<ServiceStateChange, bool> match, string what, TimeSpan? timeout = null)
    {
        ServiceStateChange? found = null;
        await Eventually.UntilAsync(() => (found = Changes(service).FirstOrDefault(match)) is not null,
            $"service '{service}': {what} (changes so far: {string.Join("; ", Changes(service).Select(c => $"{c.From}->{c.To} {c.Detail}"))})", timeout);
        return found!;
    }

    public IReadOnlyList<TaggedProcess> FindTaggedProcesses() => TaggedProcesses.Find(Tag);

    /// <summary>GET <paramref name="path"/> on the service's mesh port; the body as text.</summary>
    public async Task<string> GetStringAsync(string service, string path = "/")
    {
        using var response = await Http.GetAsync(Url(service, path));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {Url(service, path)} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>The service's <c>/whoami</c> through its mesh port.</summary>
    public async Task<WhoAmI> WhoAmIAsync(string service) =>
        (await Http.GetFromJsonAsync<WhoAmI>(Url(service, "/whoami"), Json))!;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        IReadOnlyList<TaggedProcess> leftovers = [];
        try
        {
            Http.Dispose();
            if (_host is not null)
            {
                await _host.DisposeAsync().AsTask().WaitAsync(Eventually.Deadline);
            }

            // Runtimes a test passed in are the test's to dispose, after the mesh that used them.
            foreach (var runtime in _runtimes ?? [])
            {
                if (runtime is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync();
                }
                else if (runtime is IDisposable disposable)
                {
                    disposable.Dispose();
                }
            }

            // Stopping the mesh waits for its services, so this is normally empty at once; the wait only covers
            // children that the group kill reached but the kernel has not finished tearing down.
            leftovers = await TaggedProcesses.WaitUntilNoneAsync(Tag, TimeSpan.FromSeconds(15));
        }
        finally
        {
            TaggedProcesses.KillAll(Tag);
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        Assert.True(leftovers.Count == 0, $"processes left running after the mesh stopped (killed now):{Environment.NewLine}{string.Join(Environment.NewLine, leftovers)}");
    }

    private void Record(ServiceStateChange change)
    {
        lock (_gate)
        {
            _changes.Add(change);
        }

        OnStateChange?.Invoke(change);
    }

    private void RecordOutput(string service, string line)
    {
        lock (_gate)
        {
            _serviceOutput.Add($"{service} | {line}");
        }
    }
}

/// <summary>The TestService's <c>/whoami</c> answer.</summary>
internal sealed record WhoAmI(string Name, int Pid, int Port, int? ChildPid);
