using MeshDev.Proxy.Forwarding;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Proxy.Tests.Forwarding;

public sealed class ConnectionGateTests
{
    [Fact]
    public async Task A_new_connection_past_the_unanswered_limit_waits_until_one_is_answered()
    {
        var gate = new ConnectionGate(new FakeTimeProvider());
        var places = new List<Action?>();
        for (var i = 0; i < ConnectionGate.MaxUnanswered; i++)
        {
            places.Add(await gate.EnterAsync("127.0.0.1:5000", CancellationToken.None));
        }

        var waiting = gate.EnterAsync("127.0.0.1:5000", CancellationToken.None).AsTask();
        var otherAddress = await gate.EnterAsync("127.0.0.1:5001", CancellationToken.None);

        Assert.False(waiting.IsCompleted);
        Assert.NotNull(otherAddress);
        places[0]!();
        places[0]!(); // answered twice (first byte, then dispose): one place back, not two
        Assert.NotNull(await waiting);
        Assert.False(gate.EnterAsync("127.0.0.1:5000", CancellationToken.None).AsTask().IsCompleted);
    }

    [Fact]
    public async Task A_connection_that_waited_the_longest_allowed_goes_ahead_without_a_place()
    {
        var time = new FakeTimeProvider();
        var gate = new ConnectionGate(time);
        for (var i = 0; i < ConnectionGate.MaxUnanswered; i++)
        {
            await gate.EnterAsync("127.0.0.1:5000", CancellationToken.None);
        }

        var waiting = gate.EnterAsync("127.0.0.1:5000", CancellationToken.None).AsTask();
        time.Advance(ConnectionGate.MaxWait - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await waiting);
    }
}
