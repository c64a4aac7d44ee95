using System.Net;
using System.Runtime.Versioning;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;
using MeshDev.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// A launched service that serves somewhere other than PORT fails after a few seconds with where it listens and the
/// fix, not after its start timeout. The sentences, and the activator on the fake clock with a real python3 process
/// (the instance's process) listening on a port of its own.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ListenerDiagnosisTests : ActivatorTestBase
{
    private readonly List<PythonListener> _processes = [];

    [Fact]
    public void One_other_port_is_named_with_both_fixes()
    {
        var sentence = ListenerDiagnosis.Describe("orders", new ServiceEndpoint("127.0.0.1", 24544), [IPEndPoint.Parse("127.0.0.1:29330")]);

        Assert.Equal("orders listens on 127.0.0.1:29330, not on PORT=24544: use ${PORT} in args or set port: 29330", sentence);
    }

    [Fact]
    public void Several_other_ports_are_all_named()
    {
        var sentence = ListenerDiagnosis.Describe("orders", new ServiceEndpoint("127.0.0.1", 24544), [IPEndPoint.Parse("0.0.0.0:8080"), IPEndPoint.Parse("[::]:8081")]);

        Assert.Equal("orders listens on 0.0.0.0:8080 and [::]:8081, not on PORT=24544: use ${PORT} in args or set port: to the one it serves on", sentence);
    }

    [Fact]
    public void The_right_port_on_an_address_the_mesh_does_not_connect_to_says_which_address_to_use()
    {
        var sentence = ListenerDiagnosis.Describe("orders", new ServiceEndpoint("127.0.0.1", 24544), [IPEndPoint.Parse("[::1]:24544")]);

        Assert.Equal("orders listens on [::1]:24544, not on 127.0.0.1:24544 where the mesh connects: make it listen on 127.0.0.1 or 0.0.0.0", sentence);
    }

    [Fact]
    public async Task A_service_serving_on_a_port_of_its_own_fails_after_the_grace_naming_both_ports()
    {
        var process = await Own(PythonListener.HttpAsync());
        _runtime.InstanceProcessId = process.Pid;
        _probe.Ready = false; // nothing on PORT
        // A start timeout far away: the fake clock runs fast, and a look that finds python slow to answer is repeated.
        var activator = Create(s => s with { Ready = new ReadyProbeSpec(ReadyKind.Http, "/healthz"), StartTimeout = TimeSpan.FromHours(1) });
        var launchedAt = _time.GetUtcNow();

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => AdvanceUntilDone(activator.AcquireAsync().AsTask()));

        var port = _runtime.Requests.Single().Port;
        Assert.Equal($"orders listens on 127.0.0.1:{process.Port}, not on PORT={port}: use ${{PORT}} in args or set port: {process.Port}", error.Failure.Cause);
        Assert.Contains($"meshdev: {error.Failure.Cause}", activator.Log.Tail());
        Assert.True(error.Failure.FailedAt - launchedAt < activator.Service.StartTimeout, "failed only at the start timeout");
        Assert.Equal(1, _runtime.Instances.Single().StopCalls);
    }

    [Fact]
    public async Task A_port_of_its_own_that_does_not_answer_like_the_service_is_not_taken_for_it()
    {
        // A debugger's or metrics port opened before a slow service binds PORT: it listens, but says nothing to HTTP.
        var process = await Own(PythonListener.SilentAsync());
        _runtime.InstanceProcessId = process.Pid;
        _probe.Ready = false;
        var activator = Create(s => s with { StartTimeout = TimeSpan.FromSeconds(6) });

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => AdvanceUntilDone(activator.AcquireAsync().AsTask()));

        Assert.StartsWith("not ready after 6 s", error.Failure.Cause);
    }

    [Fact]
    public async Task A_service_that_also_listens_on_PORT_is_not_blamed()
    {
        // The probe on PORT fails for another reason (a wrong health path); the tree serves on PORT and a port of its own.
        var process = await Own(PythonListener.HttpAsync());
        var expected = TestPorts.Free();
        var instance = new FakeInstance(new ServiceEndpoint("127.0.0.1", expected)) { ProcessId = process.Pid };
        var settled = new ProcessTreeLook([new IPEndPoint(IPAddress.Loopback, process.Port), new IPEndPoint(IPAddress.Any, expected)], new Dictionary<int, long> { [process.Pid] = 7 });
        var diagnosis = new ListenerDiagnosis(DefaultSpec, instance, _time, _ => settled);

        _time.Advance(ListenerDiagnosis.Grace);
        Assert.Null(await diagnosis.CheckAsync(CancellationToken.None));
        _time.Advance(ListenerDiagnosis.Interval);
        Assert.Null(await diagnosis.CheckAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_tree_that_is_still_busy_or_still_changing_is_not_judged_until_it_settles()
    {
        // dotnet watch: its browser-refresh server answers HTTP while the app is still being built and started.
        var process = await Own(PythonListener.HttpAsync());
        var listening = new IPEndPoint[] { new(IPAddress.Loopback, process.Port) };
        var looks = new Queue<ProcessTreeLook>(
        [
            new(listening, new Dictionary<int, long> { [1000] = 0 }),
            new(listening, new Dictionary<int, long> { [1000] = 90 }),             // 90 ticks in 1 s: a core's 90 %
            new(listening, new Dictionary<int, long> { [1000] = 95, [1001] = 0 }), // a new process (the built app)
            new(listening, new Dictionary<int, long> { [1000] = 96, [1001] = 2 }), // the same processes, idle
        ]);
        var instance = new FakeInstance(new ServiceEndpoint("127.0.0.1", TestPorts.Free())) { ProcessId = process.Pid };
        var diagnosis = new ListenerDiagnosis(DefaultSpec, instance, _time, _ => looks.Dequeue());
        _time.Advance(ListenerDiagnosis.Grace);

        var said = new List<string?>();
        while (looks.Count > 0)
        {
            said.Add(await diagnosis.CheckAsync(CancellationToken.None));
            _time.Advance(ListenerDiagnosis.Interval);
        }

        Assert.Equal([null, null, null], said.Take(3));
        Assert.StartsWith($"orders listens on 127.0.0.1:{process.Port}, not on PORT=", said[3]);
    }

    [Fact]
    public async Task Nothing_is_said_before_the_grace_nor_before_a_second_look_finds_the_tree_settled()
    {
        var process = await Own(PythonListener.HttpAsync());
        var instance = new FakeInstance(new ServiceEndpoint("127.0.0.1", TestPorts.Free())) { ProcessId = process.Pid };
        var diagnosis = new ListenerDiagnosis(DefaultSpec, instance, _time);

        _time.Advance(ListenerDiagnosis.Grace - TimeSpan.FromMilliseconds(1));
        Assert.Null(await diagnosis.CheckAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await diagnosis.CheckAsync(CancellationToken.None));
        _time.Advance(ListenerDiagnosis.Interval - TimeSpan.FromMilliseconds(1));
        Assert.Null(await diagnosis.CheckAsync(CancellationToken.None));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var sentence = await diagnosis.CheckAsync(CancellationToken.None);
        Assert.StartsWith($"orders listens on 127.0.0.1:{process.Port}, not on PORT=", sentence);
    }

    private async Task<PythonListener> Own(Task<PythonListener> starting)
    {
        var process = await starting;
        _processes.Add(process);
        return process;
    }

    private async Task<T> AdvanceUntilDone<T>(Task<T> task)
    {
        using var limit = new CancellationTokenSource(Wait);
        while (!task.IsCompleted && !limit.IsCancellationRequested)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(5);
        }

        return await task.WaitAsync(Wait);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
    }
}
