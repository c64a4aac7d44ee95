using System.Collections.Concurrent;
using MeshDev.Proxy.Forwarding;
using Microsoft.Extensions.Logging;

namespace MeshDev.Proxy.Errors;

/// <summary>
/// One line per forwarding failure in the daemon's log, never a stack trace, and at most one line per service and
/// cause every <see cref="Window"/>: a load run against a broken service must not fill the disk. The next line after
/// a quiet window says how many were left out.
/// </summary>
public sealed partial class ForwardingErrorLog(ILogger<ForwardingErrorLog> logger, TimeProvider time)
{
    /// <summary>How long repeats of one service's failure with one cause are only counted.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string Service, ForwardingOutcome Outcome), Entry> _entries = new();

    /// <summary>Logs the failure, or counts it when the same service failed the same way within the window.</summary>
    public void Report(string service, ForwardingOutcome outcome, string message)
    {
        if (outcome == ForwardingOutcome.ClientGone)
        {
            return;
        }

        var entry = _entries.GetOrAdd((service, outcome), static _ => new Entry());
        var now = time.GetTimestamp();
        int suppressed;
        lock (entry)
        {
            if (entry.LoggedAt != 0 && time.GetElapsedTime(entry.LoggedAt, now) < Window)
            {
                entry.Suppressed++;
                return;
            }

            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LoggedAt = now;
        }

        var line = OneLine(message);
        switch (outcome)
        {
            case ForwardingOutcome.ClientError:
                LogClientError(logger, service, line, suppressed);
                break;
            case ForwardingOutcome.ServiceSilent:
                LogServiceSilent(logger, service, line, suppressed);
                break;
            default:
                LogServiceFailed(logger, service, line, suppressed);
                break;
        }
    }

    private static string OneLine(string message)
    {
        var end = message.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? message : message[..end];
    }

    private sealed class Entry
    {
        public long LoggedAt;
        public int Suppressed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: a caller's request could not be read: {Message} ({Suppressed} more like it left out)")]
    private static partial void LogClientError(ILogger logger, string service, string message, int suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: sent nothing within its requestTimeout: {Message} ({Suppressed} more like it left out)")]
    private static partial void LogServiceSilent(ILogger logger, string service, string message, int suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: did not answer: {Message} ({Suppressed} more like it left out)")]
    private static partial void LogServiceFailed(ILogger logger, string service, string message, int suppressed);
}
