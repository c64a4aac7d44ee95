using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// How long a request was held while its service launched, told to the client as
/// <c>Server-Timing: meshdev-activation;dur=…</c> (milliseconds), next to any Server-Timing of the service's own. Made
/// only on the slow path: a warm request gets no header and pays nothing.
/// </summary>
internal sealed class ActivationWait(TimeProvider time)
{
    public const string Metric = "meshdev-activation";

    private readonly TimeProvider _time = time;
    private readonly long _started = time.GetTimestamp();
    private TimeSpan? _waited;

    /// <summary>The wait is over (the lease came, or the launch failed).</summary>
    public void End() => _waited ??= _time.GetElapsedTime(_started);

    /// <summary>Response.OnStarting callback; the state is (HttpContext, ActivationWait).</summary>
    public static Task AddHeader(object state)
    {
        var (context, wait) = ((HttpContext, ActivationWait))state;
        var waited = wait._waited ?? wait._time.GetElapsedTime(wait._started);
        context.Response.Headers.Append("Server-Timing", string.Create(CultureInfo.InvariantCulture, $"{Metric};dur={waited.TotalMilliseconds:0.0}"));
        return Task.CompletedTask;
    }
}
