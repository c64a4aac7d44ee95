using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Activation;

/// <summary>A runtime whose instances are controlled by the test: when they start, fail or exit.</summary>
public sealed class FakeRuntime : IServiceRuntime
{
    private int _starts;

    public RuntimeKind Kind => RuntimeKind.Process;

    /// <summary>When set, StartAsync waits for it (to pile up concurrent callers).</summary>
    public TaskCompletionSource? StartGate { get; set; }

    /// <summary>When set, StartAsync throws it.</summary>
    public Exception? StartError { get; set; }

    public int Starts => Volatile.Read(ref _starts);

    public List<FakeInstance> Instances { get; } = [];

    public LaunchRequest? LastRequest { get; private set; }

    /// <summary>Services in the order they were started.</summary>
    public List<string> StartOrder { get; } = [];

    /// <summary>What <see cref="AdoptAsync"/> hands over (an instance "left running by an earlier run"), once.</summary>
    public FakeInstance? Adoptable { get; set; }

    /// <summary>The readiness probe each new instance brings (null: the service's own probe is used).</summary>
    public IReadinessProbe? InstanceReadiness { get; set; }

    /// <summary>The process each new instance says is its top one (a real process of the test's), or null.</summary>
    public int? InstanceProcessId { get; set; }

    /// <summary>Runs for each new instance before StartAsync returns it (e.g. to take its port and crash it, as a failed bind would).</summary>
    public Action<LaunchRequest, FakeInstance>? OnStarted { get; set; }

    /// <summary>Every request StartAsync got, in order.</summary>
    public List<LaunchRequest> Requests { get; } = [];

    public Task<IServiceInstance?> AdoptAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var adoptable = Adoptable;
        Adoptable = null;
        return Task.FromResult<IServiceInstance?>(adoptable);
    }

    /// <summary>What <see cref="FindExternalAsync"/> finds already serving the service (a program on its port), or null.</summary>
    public IServiceInstance? External { get; set; }

    public Task<IServiceInstance?> FindExternalAsync(ServiceSpec service, CancellationToken cancellationToken) => Task.FromResult(External);

    public Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Tells the activator its sources changed, as the source watcher of a <c>project:</c> service does (null before it watches).</summary>
    public Action? EditSources { get; private set; }

    /// <summary>What <see cref="PrepareReplacementAsync"/> answers: true, a new build to replace the running instance with.</summary>
    public bool SourcesRebuilt { get; set; } = true;

    public IDisposable? WatchSources(ServiceSpec service, ServiceLog log, Action changed)
    {
        EditSources = changed;
        return null;
    }

    public Task<bool> PrepareReplacementAsync(ServiceSpec service, IServiceInstance running, ServiceLog log, CancellationToken cancellationToken) =>
        Task.FromResult(SourcesRebuilt);

    public async Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _starts);
        LastRequest = request;
        lock (Requests)
        {
            Requests.Add(request);
        }

        lock (StartOrder)
        {
            StartOrder.Add(request.Service.Name);
        }

        if (StartGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        request.Log.Write($"starting {request.Service.Name} on {request.Port}");
        if (StartError is { } error)
        {
            request.Log.Write("fatal: could not start");
            throw error;
        }

        var instance = new FakeInstance(new ServiceEndpoint("127.0.0.1", request.Port)) { Readiness = InstanceReadiness, ProcessId = InstanceProcessId };
        lock (Instances)
        {
            Instances.Add(instance);
        }

        OnStarted?.Invoke(request, instance);
        return instance;
    }
}

public sealed class FakeInstance(ServiceEndpoint endpoint) : IServiceInstance
{
    private readonly TaskCompletionSource<int?> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ServiceEndpoint Endpoint { get; } = endpoint;

    public IReadinessProbe? Readiness { get; init; }

    public string? Description { get; init; }

    public int? ProcessId { get; init; }

    public Task<int?> Exited => _exited.Task;

    public int StopCalls { get; private set; }

    public void Crash(int code) => _exited.TrySetResult(code);

    /// <summary>Ends the instance with a reason instead of an exit code (e.g. a pod in CrashLoopBackOff).</summary>
    public void Fail(string reason) => _exited.TrySetException(new LaunchException(reason));

    /// <summary>When set, StopAsync throws this (an engine gone, an API error) after counting the call.</summary>
    public Exception? StopFailure { get; set; }

    public Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        StopCalls++;
        if (StopFailure is { } failure)
        {
            return Task.FromException(failure);
        }

        _exited.TrySetResult(0);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => new(StopAsync(TimeSpan.Zero, CancellationToken.None));
}

/// <summary>A readiness probe whose answer the test sets.</summary>
public sealed class FakeProbe : IReadinessProbe
{
    public volatile bool Ready = true;
    private int _probes;

    public int Probes => Volatile.Read(ref _probes);

    public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _probes);
        return ValueTask.FromResult(Ready);
    }
}
