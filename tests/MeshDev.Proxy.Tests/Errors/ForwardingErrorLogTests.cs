using MeshDev.Proxy.Errors;
using MeshDev.Proxy.Forwarding;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Proxy.Tests.Errors;

/// <summary>Forwarding failures reach the daemon's log as single lines, at most one per service and cause per window.</summary>
public sealed class ForwardingErrorLogTests
{
    [Fact]
    public void Repeats_within_the_window_are_counted_and_the_next_line_says_how_many()
    {
        var time = new FakeTimeProvider();
        var logger = new RecordingLogger();
        var log = new ForwardingErrorLog(logger, time);

        for (var i = 0; i < 500; i++)
        {
            log.Report("alpha", ForwardingOutcome.ServiceUnreachable, "The response ended prematurely.");
        }

        time.Advance(ForwardingErrorLog.Window);
        log.Report("alpha", ForwardingOutcome.ServiceUnreachable, "The response ended prematurely.");

        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains("alpha: did not answer: The response ended prematurely. (0 more like it left out)", logger.Lines[0]);
        Assert.Contains("(499 more like it left out)", logger.Lines[1]);
    }

    [Fact]
    public void Each_service_and_cause_has_its_own_window_and_lines_never_carry_a_stack_trace()
    {
        var logger = new RecordingLogger();
        var log = new ForwardingErrorLog(logger, new FakeTimeProvider());

        log.Report("alpha", ForwardingOutcome.ServiceUnreachable, "refused\n   at Some.Stack.Frame()");
        log.Report("alpha", ForwardingOutcome.ClientError, "bad chunk size");
        log.Report("beta", ForwardingOutcome.ServiceUnreachable, "refused");
        log.Report("beta", ForwardingOutcome.ClientGone, "client left");

        Assert.Equal(3, logger.Lines.Count);
        Assert.All(logger.Lines, line => Assert.DoesNotContain("\n", line));
        Assert.DoesNotContain("Stack.Frame", logger.Lines[0]);
        Assert.Contains("alpha: a caller's request could not be read: bad chunk size", logger.Lines[1]);
    }

    private sealed class RecordingLogger : ILogger<ForwardingErrorLog>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception) + (exception is null ? "" : "\n" + exception));
    }
}
