using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Activation;

/// <summary>What launched a service, for each kind of reason: recorded when a launch begins, carried by the launch's state changes, and held while the service runs.</summary>
public sealed class LaunchReasonTests : ActivatorTestBase
{
    private readonly List<IAsyncDisposable> _owned = [];

    [Fact]
    public async Task A_call_from_a_known_caller_launches_the_service_as_a_call_from_that_caller()
    {
        var activator = Create();
        var ready = WhenChange(activator, c => c.To == ServiceState.Ready);
        var connection = new CallGraph(["frontend", "orders"], _time).NewConnection("frontend");

        (await activator.AcquireAsync(LaunchReason.CallFrom(connection)).AsTask().WaitAsync(Wait)).Dispose();

        Assert.Equal(LaunchReasonKind.Call, activator.Reason!.Kind);
        Assert.Equal("frontend", activator.Reason.Service);
        Assert.Equal("call from frontend", activator.Reason.Text);
        Assert.Equal("call from frontend", (await ready.WaitAsync(Wait)).Reason?.Text);
        Assert.Equal("call from frontend", _changes.Single(c => c.To == ServiceState.Starting).Reason?.Text);
    }

    [Fact]
    public async Task A_call_whose_caller_is_still_looked_up_names_the_caller_once_it_is_known()
    {
        var activator = Create();
        var graph = new CallGraph(["frontend", "orders"], _time);
        var connection = graph.NewConnection();

        (await activator.AcquireAsync(LaunchReason.CallFrom(connection)).AsTask().WaitAsync(Wait)).Dispose();
        Assert.Equal("call from an unknown caller", activator.Reason!.Text);
        Assert.Null(activator.Reason.Service);

        connection.Resolve("frontend");

        Assert.Equal("call from frontend", activator.Reason.Text);
    }

    [Fact]
    public async Task A_call_without_a_connection_is_a_call_from_an_unknown_caller()
    {
        var activator = Create();

        (await activator.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();

        Assert.Equal(LaunchReasonKind.Call, activator.Reason!.Kind);
        Assert.Equal("call from an unknown caller", activator.Reason.Text);
    }

    [Fact]
    public async Task Meshdev_start_launches_the_service_for_meshdev_start()
    {
        var activator = Create();
        var starting = WhenChange(activator, c => c.To == ServiceState.Starting);

        await activator.StartAsync().WaitAsync(Wait);

        Assert.Equal(LaunchReasonKind.Start, activator.Reason!.Kind);
        Assert.Equal("meshdev start", activator.Reason.Text);
        Assert.Equal("meshdev start", (await starting.WaitAsync(Wait)).Reason?.Text);
    }

    [Fact]
    public async Task An_instance_left_running_by_an_earlier_run_is_adopted()
    {
        _runtime.Adoptable = new FakeInstance(new ServiceEndpoint("127.0.0.1", 41000)) { Description = "container 3f2a1b" };
        var activator = Create();

        Assert.True(await activator.AdoptRunningAsync().WaitAsync(Wait));
        // A request after the take-over goes straight through and does not change why the service runs.
        (await activator.AcquireAsync(LaunchReason.CallFrom("frontend")).AsTask().WaitAsync(Wait)).Dispose();

        Assert.Equal(LaunchReasonKind.Adopted, activator.Reason!.Kind);
        Assert.Equal("adopted", activator.Reason.Text);
    }

    [Fact]
    public async Task A_program_found_listening_on_the_port_is_adopted_whatever_call_found_it()
    {
        _runtime.External = ExternalInstance.Listening(new ServiceEndpoint("127.0.0.1", 41001), "adopted: something already listens on 127.0.0.1:41001");
        var activator = Create();
        var external = WhenChange(activator, c => c.To == ServiceState.External);

        (await activator.AcquireAsync(LaunchReason.CallFrom("frontend")).AsTask().WaitAsync(Wait)).Dispose();

        Assert.Equal(ServiceState.External, activator.State);
        Assert.Equal("adopted", activator.Reason!.Text);
        Assert.Equal("adopted", (await external.WaitAsync(Wait)).Reason?.Text);
        Assert.Equal(0, _runtime.Starts);
    }

    [Fact]
    public async Task A_dependency_is_launched_as_dependsOn_of_the_service_that_lists_it()
    {
        _runtime.InstanceReadiness = new FakeProbe();
        var mesh = Mesh(Spec("web"), Spec("orders", "db"), Spec("db"));
        var connection = new CallGraph(["web", "orders", "db"], _time).NewConnection("web");

        (await mesh.Find("orders")!.AcquireAsync(LaunchReason.CallFrom(connection)).AsTask().WaitAsync(Wait)).Dispose();

        Assert.Equal("call from web", mesh.Find("orders")!.Reason!.Text);
        var db = mesh.Find("db")!.Reason!;
        Assert.Equal(LaunchReasonKind.DependsOn, db.Kind);
        Assert.Equal("orders", db.Service);
        Assert.Equal("dependsOn of orders", db.Text);
        Assert.Null(mesh.Find("web")!.Reason);
    }

    [Fact]
    public async Task A_request_to_a_running_service_keeps_the_reason_of_its_launch()
    {
        var activator = Create();
        await activator.StartAsync().WaitAsync(Wait);

        (await activator.AcquireAsync(LaunchReason.CallFrom("frontend")).AsTask().WaitAsync(Wait)).Dispose();
        Assert.True(activator.TryAcquire(out var lease));
        lease.Dispose();

        Assert.Equal("meshdev start", activator.Reason!.Text);
    }

    [Fact]
    public async Task A_stopped_service_has_no_reason_and_its_stop_changes_carry_none_and_the_next_launch_has_its_own()
    {
        var activator = Create();
        await activator.StartAsync().WaitAsync(Wait);
        var stopped = WhenChange(activator, c => c.To == ServiceState.Stopped);

        await activator.StopAsync().WaitAsync(Wait);

        Assert.Null(activator.Reason);
        Assert.Null((await stopped.WaitAsync(Wait)).Reason);
        Assert.Null(_changes.Single(c => c.To == ServiceState.Stopping).Reason);

        (await activator.AcquireAsync(LaunchReason.CallFrom("frontend")).AsTask().WaitAsync(Wait)).Dispose();
        Assert.Equal("call from frontend", activator.Reason!.Text);
    }

    [Fact]
    public async Task A_failed_launch_says_what_launched_it()
    {
        _runtime.StartError = new LaunchException("command 'orders' not found");
        var activator = Create();
        var failed = WhenChange(activator, c => c.To == ServiceState.Failed);

        await Assert.ThrowsAsync<ServiceUnavailableException>(() => activator.AcquireAsync(LaunchReason.CallFrom("frontend")).AsTask().WaitAsync(Wait));

        Assert.Equal("call from frontend", (await failed.WaitAsync(Wait)).Reason?.Text);
        Assert.Equal("call from frontend", activator.Reason!.Text);
    }

    [Fact]
    public async Task A_rebuild_begun_by_a_call_replaces_the_reason_of_the_first_launch_with_that_call()
    {
        var activator = Create();
        (await activator.AcquireAsync(LaunchReason.PrewarmFor("frontend")).AsTask().WaitAsync(Wait)).Dispose();
        Assert.Equal("prewarmed for frontend", activator.Reason!.Text);
        var rebuilt = WhenChange(activator, c => c.To == ServiceState.Ready && c.Detail.StartsWith("rebuilt", StringComparison.Ordinal));

        _runtime.EditSources!();
        (await activator.AcquireAsync(LaunchReason.CallFrom("web")).AsTask().WaitAsync(Wait)).Dispose();

        Assert.Equal(2, activator.Launches);
        Assert.Equal(LaunchReasonKind.Rebuild, activator.Reason!.Kind);
        Assert.Equal("web", activator.Reason.Service);
        Assert.Equal("rebuilt for a call from web", activator.Reason.Text);
        Assert.Equal("rebuilt for a call from web", (await rebuilt.WaitAsync(Wait)).Reason?.Text);
        Assert.Equal("rebuilt for a call from web", _changes.Single(c => c.From == ServiceState.Ready && c.To == ServiceState.Starting).Reason?.Text);
    }

    [Fact]
    public async Task A_rebuild_begun_by_the_edit_itself_says_the_sources_changed()
    {
        var activator = Create();
        activator.RebuildAtOnce = true;
        await activator.StartAsync().WaitAsync(Wait);
        var rebuilt = WhenChange(activator, c => c.To == ServiceState.Ready && c.Detail.StartsWith("rebuilt", StringComparison.Ordinal));

        // The watcher's callback arms the quiet-period timer before it returns, so the advance cannot come too early.
        _runtime.EditSources!();
        _time.Advance(ServiceActivator.QuietPeriod);

        Assert.Equal("rebuilt: sources changed", (await rebuilt.WaitAsync(Wait)).Reason?.Text);
        Assert.Null(activator.Reason!.Service);
    }

    [Fact]
    public async Task Sources_found_unchanged_keep_the_reason_of_the_running_instance()
    {
        _runtime.SourcesRebuilt = false;
        var activator = Create();
        await activator.StartAsync().WaitAsync(Wait);
        var kept = WhenChange(activator, c => c.To == ServiceState.Ready && c.Detail.Contains("unchanged", StringComparison.Ordinal));

        _runtime.EditSources!();
        (await activator.AcquireAsync(LaunchReason.CallFrom("web")).AsTask().WaitAsync(Wait)).Dispose();

        await kept.WaitAsync(Wait);
        Assert.Equal(1, activator.Launches);
        Assert.Equal("meshdev start", activator.Reason!.Text);
    }

    [Fact]
    public void Each_kind_reads_as_the_cli_prints_it_and_round_trips_through_kind_and_service()
    {
        LaunchReason[] reasons =
        [
            LaunchReason.CallFrom("frontend"), LaunchReason.CallFrom(CallGraph.External), LaunchReason.UnknownCall,
            LaunchReason.DependsOnOf("orders"), LaunchReason.Start, LaunchReason.Adopted, LaunchReason.PrewarmFor("frontend"),
            LaunchReason.RebuildFor(LaunchReason.CallFrom("web")), LaunchReason.RebuildFor(null),
        ];

        Assert.Equal(
            ["call from frontend", "call from external", "call from an unknown caller", "dependsOn of orders", "meshdev start", "adopted", "prewarmed for frontend",
             "rebuilt for a call from web", "rebuilt: sources changed"],
            reasons.Select(r => r.Text));
        Assert.Equal(reasons.Select(r => r.Text), reasons.Select(r => LaunchReason.Of(r.Kind, r.Service).Text));
    }

    /// <summary>The first change of <paramref name="activator"/> that matches, from now on (subscribed before the action that causes it).</summary>
    private static Task<ServiceStateChange> WhenChange(ServiceActivator activator, Func<ServiceStateChange, bool> match)
    {
        var seen = new TaskCompletionSource<ServiceStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        activator.StateChanged += c =>
        {
            if (match(c))
            {
                seen.TrySetResult(c);
            }
        };
        return seen.Task;
    }

    private static ServiceSpec Spec(string name, params string[] dependsOn) => new()
    {
        Name = name,
        Command = name,
        WorkingDir = "/tmp",
        DependsOn = [.. dependsOn],
    };

    private MeshActivator Mesh(params ServiceSpec[] services)
    {
        var mesh = new MeshActivator(new MeshManifest("/tmp/meshdev.yaml", new MeshSettings(), [.. services]), [_runtime], s => new ServiceLog(s.Name, null), _time);
        _owned.Add(mesh);
        return mesh;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
