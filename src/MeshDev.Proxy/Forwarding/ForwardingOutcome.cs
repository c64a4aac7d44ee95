using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Forwarding;

/// <summary>Whose failure a forwarding error is, which decides the answer: the client's (4xx) or the service's (5xx).</summary>
public enum ForwardingOutcome
{
    /// <summary>The client left or cancelled; nobody is there to answer.</summary>
    ClientGone,

    /// <summary>The client sent something malformed (e.g. a bad chunk size): 400, the service is not blamed.</summary>
    ClientError,

    /// <summary>The service sent nothing for its <c>requestTimeout</c>: 504.</summary>
    ServiceSilent,

    /// <summary>The service could not be reached or dropped the exchange: 502.</summary>
    ServiceUnreachable,
}

/// <summary>Classifies YARP's <see cref="ForwarderError"/>.</summary>
public static class ForwardingOutcomes
{
    public static ForwardingOutcome Of(ForwarderError error, bool clientAborted) => error switch
    {
        _ when clientAborted => ForwardingOutcome.ClientGone,
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled
            or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeResponseClient => ForwardingOutcome.ClientGone,
        ForwarderError.RequestBodyClient or ForwarderError.UpgradeRequestClient => ForwardingOutcome.ClientError,
        ForwarderError.RequestTimedOut or ForwarderError.UpgradeActivityTimeout => ForwardingOutcome.ServiceSilent,
        _ => ForwardingOutcome.ServiceUnreachable,
    };
}
