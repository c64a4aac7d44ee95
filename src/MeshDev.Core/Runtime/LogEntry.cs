namespace MeshDev.Runtime;

/// <summary>One line of a service's output and when the mesh read it.</summary>
/// <param name="Time">Null for lines of log files written before the mesh kept timestamps.</param>
/// <param name="Notice">
/// Not a line of the service but the mesh's note about the log itself (older lines rotated away); readers show it
/// apart from the output (on stderr).
/// </param>
public sealed record LogEntry(DateTimeOffset? Time, string Text, bool Notice = false);

/// <summary>Which lines of a log to show, as in <c>docker logs --since --tail -f</c>.</summary>
/// <param name="Since">Only lines written at or after this time.</param>
/// <param name="Tail">Only the last N lines (of those since <paramref name="Since"/>); every line when null.</param>
/// <param name="Follow">After the past lines, every new one until cancelled.</param>
public sealed record LogQuery(DateTimeOffset? Since = null, int? Tail = null, bool Follow = false)
{
    public bool Includes(LogEntry entry) => Since is not { } since || entry.Time >= since;
}
