using Microsoft.AspNetCore.Http.Features;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Stands in for a gRPC call's <see cref="IHttpResetFeature"/> while it is forwarded: a reset YARP asks for after the
/// response started is held, so the mesh can end the call with a gRPC status in trailers instead.
/// </summary>
/// <remarks>
/// YARP resets a started response whose service failed with HTTP/2 code 0x8 (CANCEL), which gRPC clients report as
/// CANCELLED, the status of a call the client itself gave up: a service that crashed mid-stream looked like the caller's
/// doing, and clients do not retry it. Called directly, the same crash is UNAVAILABLE.
/// </remarks>
internal sealed class DeferredReset(IHttpResetFeature inner) : IHttpResetFeature
{
    /// <summary>The error code YARP asked to reset with; null while it asked for none.</summary>
    public int? RequestedCode { get; private set; }

    public void Reset(int errorCode) => RequestedCode ??= errorCode;

    /// <summary>Resets the stream as YARP asked, when the mesh has nothing better to say.</summary>
    public void ResetAsRequested()
    {
        if (RequestedCode is { } code)
        {
            inner.Reset(code);
        }
    }
}
