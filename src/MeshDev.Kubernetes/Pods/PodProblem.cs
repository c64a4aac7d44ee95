using System.Text;

namespace MeshDev.Kubernetes.Pods;

/// <summary>Which container output explains a problem: none, the running (or just ended) container's, or the one before its restart.</summary>
internal enum LogSource
{
    None,
    Current,
    Previous,
}

/// <summary>
/// Why a pod of a service cannot serve, as soon as its status (or an event) shows it: an image that cannot be pulled,
/// a crash loop, a container config the node refuses, a ReplicaSet that cannot create pods.
/// </summary>
/// <param name="Pod">The pod's name; null when no pod could be created at all.</param>
/// <param name="Reason">Kubernetes' word for it: <c>ImagePullBackOff</c>, <c>CrashLoopBackOff</c>, <c>FailedCreate</c>…</param>
/// <param name="Message">Kubernetes' sentence for it, from the pod status or the event.</param>
internal sealed record PodProblem(string? Pod, string Reason, string Message, string? Container = null, int? ExitCode = null, LogSource Logs = LogSource.None)
{
    /// <summary>The node refused to run the container as non-root because the image runs as root (or as a user name it cannot check).</summary>
    public bool IsRootImage => IsRootImageMessage(Message);

    /// <summary>
    /// The sentence callers get: reason, the status or event message, the exit code, the container's last log lines,
    /// and for a root image exactly what to change (<paramref name="rootImageHint"/>).
    /// </summary>
    public string Describe(string? eventMessage, IReadOnlyList<string> lastLogLines, string rootImageHint)
    {
        var text = new StringBuilder();
        text.Append(Pod is null ? "no pod could be created" : $"pod {Pod}");
        if (Container is not null)
        {
            text.Append($", container {Container}");
        }

        text.Append($": {Reason}");
        var message = Combine(Message.Trim(), eventMessage?.Trim() ?? "");
        if (message.Length > 0)
        {
            text.Append($": {message}");
        }

        if (ExitCode is { } code && !message.Contains($"with code {code}", StringComparison.Ordinal) && !message.Contains("exit code", StringComparison.OrdinalIgnoreCase))
        {
            text.Append($"; it exited with code {code}");
        }

        if (lastLogLines.Count > 0)
        {
            text.Append("; last log lines: ").Append(string.Join(" | ", lastLogLines));
        }

        if (IsRootImageMessage(message))
        {
            text.Append($". The image runs as root (or as a user name Kubernetes cannot check) and the pod must not: {rootImageHint}");
        }

        return text.ToString();
    }

    private bool IsRootImageMessage(string message) =>
        Reason == "CreateContainerConfigError" && message.Contains("runAsNonRoot", StringComparison.Ordinal)
        && (message.Contains("will run as root", StringComparison.Ordinal) || message.Contains("non-numeric user", StringComparison.Ordinal));

    /// <summary>The status message and the event's, without saying the same twice (an event often repeats the status with more detail).</summary>
    private static string Combine(string status, string @event) =>
        @event.Length == 0 || status.Contains(@event, StringComparison.Ordinal) ? status
        : status.Length == 0 || @event.Contains(status, StringComparison.Ordinal) ? @event
        : $"{status} (event: {@event})";
}
