using System.Net;
using System.Runtime.Versioning;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// What already listens on a service's fixed port: adopted as external when it answers like the service or is paused
/// (stopped, or started with the mesh's launch profile); refused, naming its process, when it accepts and stays silent.
/// Real python3 holders, the activator's grace on the fake clock.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PortHolderTests : ActivatorTestBase
{
    private readonly List<PythonListener> _holders = [];

    [Fact]
    public async Task A_silent_holder_of_the_fixed_port_is_refused_naming_its_pid_and_command_line()
    {
        var holder = await Hold(PythonListener.SilentAsync());
        var activator = Create(s => s with { Port = holder.Port });

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => AdvanceUntilDone(activator.AcquireAsync().AsTask()));

        // "port 15101 is held by pid 1234 (/usr/bin/python3 /tmp/…/silent.py 15101), which did not answer …"
        Assert.StartsWith($"port {holder.Port} is held by pid {holder.Pid} (", error.Failure.Cause);
        Assert.Contains($"silent.py {holder.Port}), which did not answer as an HTTP service within 3 s: stop it or change 'port:'", error.Failure.Cause);
        Assert.Equal(ServiceState.Failed, activator.State);
        Assert.Equal(0, _runtime.Starts);
        Assert.Contains($"meshdev: {error.Failure.Cause}", activator.Log.Tail());
    }

    [Fact]
    public async Task A_stopped_holder_cannot_answer_and_is_adopted_as_paused()
    {
        var holder = await Hold(PythonListener.HttpAsync());
        await holder.StopAsync();
        var activator = Create(s => s with { Port = holder.Port });

        using var lease = await AdvanceUntilDone(activator.AcquireAsync().AsTask());

        Assert.Equal(ServiceState.External, activator.State);
        Assert.Equal(holder.Port, lease.Endpoint.Port);
        var adopted = await ChangeTo(ServiceState.External);
        Assert.Contains($"pid {holder.Pid} (", adopted.Detail);
        Assert.Contains("is paused (stopped, e.g. at a breakpoint)", adopted.Detail);
    }

    [Fact]
    public async Task A_silent_holder_started_with_the_services_launch_profile_is_adopted()
    {
        // A .NET service paused at a breakpoint by a managed debugger: running as far as the kernel can tell, and silent.
        var holder = await Hold(PythonListener.SilentAsync(new Dictionary<string, string> { ["MESHDEV_SERVICE"] = "orders" }));
        var activator = Create(s => s with { Port = holder.Port });

        using var lease = await AdvanceUntilDone(activator.AcquireAsync().AsTask());

        Assert.Equal(ServiceState.External, activator.State);
        Assert.Contains("was started with the mesh's launch profile for orders", (await ChangeTo(ServiceState.External)).Detail);
    }

    [Fact]
    public async Task A_silent_holder_started_for_another_service_is_still_refused()
    {
        var holder = await Hold(PythonListener.SilentAsync(new Dictionary<string, string> { ["MESHDEV_SERVICE"] = "payments" }));
        var activator = Create(s => s with { Port = holder.Port });

        var error = await Assert.ThrowsAsync<ServiceUnavailableException>(() => AdvanceUntilDone(activator.AcquireAsync().AsTask()));

        Assert.StartsWith($"port {holder.Port} is held by pid {holder.Pid} (", error.Failure.Cause);
    }

    [Fact]
    public async Task A_slow_HTTP_holder_that_answers_an_error_within_the_grace_is_adopted_as_before()
    {
        // The fake clock stands still, so however long the real answer takes, it comes within the grace.
        var holder = await Hold(PythonListener.HttpAsync(delaySeconds: 0.3, status: 503));
        var activator = Create(s => s with { Port = holder.Port, Ready = new ReadyProbeSpec(ReadyKind.Http, "/healthz") });

        using var lease = await activator.AcquireAsync().AsTask().WaitAsync(Wait);

        Assert.Equal(ServiceState.External, activator.State);
        Assert.Equal(holder.Port, lease.Endpoint.Port);
        Assert.EndsWith("will not launch or stop it", (await ChangeTo(ServiceState.External)).Detail);
    }

    [Fact]
    public async Task An_HTTP2_only_holder_that_closes_on_HTTP1_answers_the_preface()
    {
        // Like a gRPC server that speaks only HTTP/2: an HTTP/1.1 request gets the connection closed without a word.
        const string Http2Only = """
            import socket, sys
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1])))
            s.listen(16)
            print('listening', flush=True)
            while True:
                c, _ = s.accept()
                if c.recv(64).startswith(b'PRI * HTTP/2.0'):
                    c.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
                c.close()
            """;
        var holder = await Hold(PythonListener.ScriptAsync("h2only.py", Http2Only));
        var endpoint = new IPEndPoint(IPAddress.Loopback, holder.Port);
        using var limit = new CancellationTokenSource(Wait);

        // The adoption check alternates between the two on its attempts within the grace.
        Assert.False(await ProtocolAnswer.AnswersAsync(DefaultSpec, endpoint, limit.Token));
        Assert.True(await ProtocolAnswer.AnswersAsync(DefaultSpec, endpoint, limit.Token, otherVersion: true));
        Assert.True(await ProtocolAnswer.AnswersAsync(DefaultSpec with { Ready = new ReadyProbeSpec(ReadyKind.Grpc) }, endpoint, limit.Token));
    }

    [Fact]
    public async Task A_silent_holder_of_a_tcp_service_port_is_adopted_because_its_bytes_cannot_be_judged()
    {
        var holder = await Hold(PythonListener.SilentAsync());
        var activator = Create(s => s with { Port = holder.Port, Protocol = ServiceProtocol.Tcp });

        using var lease = await activator.AcquireAsync().AsTask().WaitAsync(Wait);

        Assert.Equal(ServiceState.External, activator.State);
    }

    [Fact]
    public void A_holder_this_user_cannot_see_is_refused_without_a_pid()
    {
        var verdict = PortHolder.Judge(DefaultSpec with { Ready = new ReadyProbeSpec(ReadyKind.Grpc) }, 15101, [], new HashSet<int>());

        Assert.Equal("port 15101 is held by a program whose process this user cannot see (another user's or a container's), which did not answer as a gRPC service within 3 s: stop it or change 'port:'", verdict.Refusal);
        Assert.Null(verdict.Note);
    }

    [Fact]
    public async Task A_silent_holder_that_used_CPU_meanwhile_is_taken_for_a_slow_service()
    {
        // A cold service on a loaded machine: it has not answered yet, but it is working on it (a netcat listener uses no CPU).
        var holder = await Hold(PythonListener.SilentAsync());

        var verdict = PortHolder.Judge(DefaultSpec, holder.Port, [holder.Pid], new HashSet<int> { holder.Pid });

        Assert.Null(verdict.Refusal);
        Assert.Contains($"pid {holder.Pid} (", verdict.Note);
        Assert.EndsWith("did not answer within 3 s but is busy, so it is taken for a slow service", verdict.Note);
    }

    private async Task<PythonListener> Hold(Task<PythonListener> starting)
    {
        var holder = await starting;
        _holders.Add(holder);
        return holder;
    }

    /// <summary>Moves the fake clock on until <paramref name="task"/> is done: the grace runs out only if the holder stays silent.</summary>
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

    private async Task<ServiceStateChange> ChangeTo(ServiceState state)
    {
        using var limit = new CancellationTokenSource(Wait);
        while (!limit.IsCancellationRequested)
        {
            if (_changes.FirstOrDefault(c => c.To == state) is { } change)
            {
                return change;
            }

            await Task.Delay(5);
        }

        throw new TimeoutException($"no change to {state}");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var holder in _holders)
        {
            await holder.DisposeAsync();
        }
    }
}
