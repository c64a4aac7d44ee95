using System.Collections.Concurrent;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// One activator of a service "orders" on a fake runtime, readiness probe and clock, its state changes recorded in
/// order; disposed after each test (xUnit 2 calls <see cref="IAsyncLifetime"/>, not IAsyncDisposable, on a test class).
/// </summary>
public abstract class ActivatorTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    protected readonly ArmingTime _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    protected readonly FakeRuntime _runtime = new();
    protected readonly FakeProbe _probe = new();
    protected readonly ConcurrentQueue<ServiceStateChange> _changes = new();
    protected ServiceActivator? _activator;

    /// <summary>The service's settings before a test's own changes.</summary>
    protected virtual ServiceSpec DefaultSpec => new()
    {
        Name = "orders",
        Command = "orders",
        WorkingDir = "/tmp",
        IdleTimeout = TimeSpan.FromMinutes(10),
        StartTimeout = TimeSpan.FromSeconds(30),
    };

    protected ServiceActivator Create(Func<ServiceSpec, ServiceSpec>? configure = null)
    {
        var spec = configure?.Invoke(DefaultSpec) ?? DefaultSpec;
        _activator = new ServiceActivator(spec, _runtime, new ServiceLog(spec.Name, null), (_, port) => new Dictionary<string, string> { ["PORT"] = port.ToString() }, _time, _probe);
        _activator.StateChanged += _changes.Enqueue;
        return _activator;
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public virtual async ValueTask DisposeAsync()
    {
        if (_activator is not null)
        {
            await _activator.DisposeAsync();
        }
    }

    /// <summary>
    /// A fake clock that also says which timers were armed: a test that advances it past a wait must know the wait began,
    /// or the advance lands before the timer exists and the wait never ends.
    /// </summary>
    protected sealed class ArmingTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly ConcurrentQueue<TimeSpan> _armed = new();

        /// <summary>How many timers were armed with <paramref name="dueTime"/> so far.</summary>
        public int Armed(TimeSpan dueTime) => _armed.Count(d => d == dueTime);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _armed.Enqueue(dueTime);
            return timer;
        }
    }
}
