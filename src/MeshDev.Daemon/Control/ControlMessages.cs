using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;
using MeshDev.Xds.Server;
using ActivationState = MeshDev.Activation.ServiceState;
using V1 = MeshDev.Control.V1;

namespace MeshDev.Daemon.Control;

/// <summary>
/// Between the daemon's model (<see cref="MeshStatus"/>, <see cref="RoutesView"/>, <see cref="MeshEvent"/>,
/// <see cref="LogEntry"/>) and the control API's messages (<c>proto/meshdev/v1/control.proto</c>), both ways: the
/// daemon sends messages, the CLI turns them back into the model, so its tables and <c>--json</c> are the same
/// whichever side renders them.
/// </summary>
public static class ControlMessages
{
    public static V1.MeshStatus ToMessage(MeshStatus status)
    {
        var message = new V1.MeshStatus
        {
            Manifest = status.Manifest,
            Pid = status.Pid,
            HttpPort = status.HttpPort,
            StartedAt = Timestamp.FromDateTimeOffset(status.StartedAt),
            XdsPort = status.XdsPort,
            XdsClients = status.XdsClients,
            EventSequence = status.EventSequence,
        };
        message.Services.AddRange(status.Services.Select(ToMessage));
        message.XdsNacks.AddRange(status.XdsNacks ?? []);
        return message;
    }

    public static MeshStatus FromMessage(V1.MeshStatus message) => new(
        message.Manifest,
        message.Pid,
        message.HttpPort,
        message.StartedAt.ToDateTimeOffset(),
        [.. message.Services.Select(FromMessage)],
        message.XdsPort,
        message.XdsClients,
        [.. message.XdsNacks],
        message.EventSequence);

    public static V1.ServiceStatus ToMessage(ServiceStatus status)
    {
        var message = new V1.ServiceStatus
        {
            Name = status.Name,
            Runtime = status.Runtime,
            State = ToMessage(status.State),
            MeshPort = status.MeshPort,
            Launches = status.Launches,
            InFlight = status.InFlight,
            Requests = status.Requests,
            Held = status.Held,
        };
        if (status.Endpoint is { } endpoint)
        {
            message.Endpoint = endpoint;
        }

        if (status.OldestInFlightMs is { } oldest)
        {
            message.OldestInFlightMs = oldest;
        }

        if (status.LastError is { } error)
        {
            message.LastError = error;
        }

        if (status.Link is { } link)
        {
            message.Link = link;
        }

        message.Hosts.AddRange(status.Hosts);
        message.Paths.AddRange(status.Paths);
        message.Reason = ToMessage(status.Reason);
        return message;
    }

    public static ServiceStatus FromMessage(V1.ServiceStatus message) => new(
        message.Name,
        message.Runtime,
        FromMessage(message.State),
        message.HasEndpoint ? message.Endpoint : null,
        message.MeshPort,
        message.Launches,
        message.InFlight,
        message.HasOldestInFlightMs ? message.OldestInFlightMs : null,
        message.Requests,
        message.HasLastError ? message.LastError : null,
        [.. message.Hosts],
        [.. message.Paths],
        FromMessage(message.Reason),
        message.HasLink ? message.Link : null,
        message.Held);

    public static V1.MeshEvent ToMessage(MeshEvent e) => new()
    {
        Sequence = e.Sequence,
        Time = Timestamp.FromDateTimeOffset(e.At),
        Service = e.Change.Service,
        From = ToMessage(e.Change.From),
        To = ToMessage(e.Change.To),
        Detail = e.Change.Detail,
        Reason = ToMessage(e.Change.Reason),
    };

    public static MeshEvent FromMessage(V1.MeshEvent message) => new(
        message.Sequence,
        message.Time.ToDateTimeOffset(),
        new Activation.ServiceStateChange(message.Service, ToModel(message.From), ToModel(message.To), message.Detail, FromMessage(message.Reason)));

    // A call's caller is read now: one looked up since the launch began is named.
    private static V1.LaunchReason? ToMessage(Activation.LaunchReason? reason)
    {
        if (reason is null)
        {
            return null;
        }

        var message = new V1.LaunchReason
        {
            Kind = reason.Kind switch
            {
                Activation.LaunchReasonKind.Call => V1.LaunchReasonKind.Call,
                Activation.LaunchReasonKind.DependsOn => V1.LaunchReasonKind.DependsOn,
                Activation.LaunchReasonKind.Start => V1.LaunchReasonKind.Start,
                Activation.LaunchReasonKind.Adopted => V1.LaunchReasonKind.Adopted,
                Activation.LaunchReasonKind.Prewarm => V1.LaunchReasonKind.Prewarm,
                Activation.LaunchReasonKind.Rebuild => V1.LaunchReasonKind.Rebuild,
                _ => V1.LaunchReasonKind.Unspecified,
            },
        };
        if (reason.Service is { } service)
        {
            message.Service = service;
        }

        return message;
    }

    private static Activation.LaunchReason? FromMessage(V1.LaunchReason? message) => message is null ? null : message.Kind switch
    {
        V1.LaunchReasonKind.Call => Activation.LaunchReason.Of(Activation.LaunchReasonKind.Call, message.HasService ? message.Service : null),
        V1.LaunchReasonKind.DependsOn => Activation.LaunchReason.Of(Activation.LaunchReasonKind.DependsOn, message.Service),
        V1.LaunchReasonKind.Start => Activation.LaunchReason.Start,
        V1.LaunchReasonKind.Adopted => Activation.LaunchReason.Adopted,
        V1.LaunchReasonKind.Prewarm => Activation.LaunchReason.Of(Activation.LaunchReasonKind.Prewarm, message.Service),
        V1.LaunchReasonKind.Rebuild => Activation.LaunchReason.Of(Activation.LaunchReasonKind.Rebuild, message.HasService ? message.Service : null),
        _ => null,
    };

    public static V1.LogLine ToMessage(string service, LogEntry entry)
    {
        var message = new V1.LogLine { Service = service, Text = entry.Text, Notice = entry.Notice };
        if (entry.Time is { } time)
        {
            message.Time = Timestamp.FromDateTimeOffset(time);
        }

        return message;
    }

    public static LogEntry FromMessage(V1.LogLine message) => new(message.Time?.ToDateTimeOffset(), message.Text, message.Notice);

    public static V1.LaunchFailure ToMessage(Activation.LaunchFailure failure)
    {
        var message = new V1.LaunchFailure { Cause = failure.Cause, RetryAt = Timestamp.FromDateTimeOffset(failure.RetryAt) };
        message.LogTail.AddRange(failure.LogTail);
        return message;
    }

    public static V1.Routes ToMessage(RoutesView routes)
    {
        var message = new V1.Routes
        {
            Manifest = routes.Manifest,
            HttpPort = routes.HttpPort,
            XdsPort = routes.XdsPort,
            RoutingVersion = routes.RoutingVersion,
            Xds = new V1.XdsState(),
        };
        message.Listeners.AddRange(routes.Listeners.Select(l =>
        {
            var listener = new V1.Listener { Name = l.Name, Port = l.Port, Protocol = l.Protocol };
            if (l.Service is { } service)
            {
                listener.Service = service;
            }

            return listener;
        }));
        message.VirtualHosts.AddRange(routes.VirtualHosts.Select(h =>
        {
            var host = new V1.VirtualHost { Name = h.Name };
            host.Domains.AddRange(h.Domains);
            host.Routes.AddRange(h.Routes.Select(r => new V1.Route { Prefix = r.Prefix, Grpc = r.Grpc, Cluster = r.Cluster }));
            return host;
        }));
        message.Clusters.AddRange(routes.Clusters.Select(c =>
        {
            var cluster = new V1.Cluster { Name = c.Name, State = ToMessage(c.State) };
            cluster.Endpoints.AddRange(c.Endpoints.Select(e => new V1.Endpoint
            {
                Address = e.Address,
                Kind = e.Kind == EndpointView.Activator ? V1.Endpoint.Types.Kind.Activator : V1.Endpoint.Types.Kind.Service,
            }));
            cluster.GrpcServices.AddRange(c.GrpcServices);
            return cluster;
        }));
        message.Xds.Versions.AddRange(routes.Xds.Versions.Select(v => new V1.TypeVersion { Type = v.Key, Version = v.Value }));
        message.Xds.Clients.AddRange(routes.Xds.Clients.Select(ToMessage));
        message.Xds.Nacks.AddRange(routes.Xds.Nacks.Select(ToMessage));
        return message;
    }

    public static RoutesView FromMessage(V1.Routes message) => new(
        message.Manifest,
        message.HttpPort,
        message.XdsPort,
        message.RoutingVersion,
        [.. message.Listeners.Select(l => new ListenerView(l.Name, l.Port, l.HasService ? l.Service : null, l.Protocol))],
        [.. message.VirtualHosts.Select(h => new VirtualHostView(h.Name, [.. h.Domains], [.. h.Routes.Select(r => new RouteView(r.Prefix, r.Grpc, r.Cluster))]))],
        [.. message.Clusters.Select(c => new ClusterView(
            c.Name,
            FromMessage(c.State),
            [.. c.Endpoints.Select(e => new EndpointView(e.Address, e.Kind == V1.Endpoint.Types.Kind.Activator ? EndpointView.Activator : EndpointView.Service))],
            [.. c.GrpcServices]))],
        new XdsView(
            // Insertion order is push order, which the table prints.
            message.Xds.Versions.ToDictionary(v => v.Type, v => v.Version),
            [.. message.Xds.Clients.Select(FromMessage)],
            [.. message.Xds.Nacks.Select(FromMessage)]));

    private static V1.XdsClient ToMessage(XdsClientInfo client)
    {
        var message = new V1.XdsClient
        {
            Stream = client.Stream,
            NodeId = client.NodeId,
            NodeCluster = client.NodeCluster,
            UserAgent = client.UserAgent,
            Peer = client.Peer,
            ConnectedAt = Timestamp.FromDateTimeOffset(client.ConnectedAt),
        };
        message.Subscriptions.AddRange(client.Subscriptions.Select(s =>
        {
            var subscription = new V1.XdsSubscription { Type = s.Type, TypeUrl = s.TypeUrl, Wildcard = s.Wildcard };
            subscription.Names.AddRange(s.Names);
            if (s.SentVersion is { } sent)
            {
                subscription.SentVersion = sent;
            }

            if (s.SentNonce is { } nonce)
            {
                subscription.SentNonce = nonce;
            }

            if (s.AcceptedVersion is { } accepted)
            {
                subscription.AcceptedVersion = accepted;
            }

            if (s.LastNack is { } nack)
            {
                subscription.LastNack = ToMessage(nack);
            }

            return subscription;
        }));
        return message;
    }

    private static XdsClientInfo FromMessage(V1.XdsClient message) => new(
        message.Stream,
        message.NodeId,
        message.NodeCluster,
        message.UserAgent,
        message.Peer,
        message.ConnectedAt.ToDateTimeOffset(),
        [.. message.Subscriptions.Select(s => new XdsSubscriptionInfo(
            s.Type,
            s.TypeUrl,
            s.Wildcard,
            [.. s.Names],
            s.HasSentVersion ? s.SentVersion : null,
            s.HasSentNonce ? s.SentNonce : null,
            s.HasAcceptedVersion ? s.AcceptedVersion : null,
            s.LastNack is { } nack ? FromMessage(nack) : null))]);

    private static V1.XdsNack ToMessage(XdsNack nack) => new()
    {
        NodeId = nack.NodeId,
        Type = nack.Type,
        TypeUrl = nack.TypeUrl,
        Version = nack.Version,
        Nonce = nack.Nonce,
        Code = nack.Code,
        Message = nack.Message,
        At = Timestamp.FromDateTimeOffset(nack.At),
    };

    private static XdsNack FromMessage(V1.XdsNack message) =>
        new(message.NodeId, message.Type, message.TypeUrl, message.Version, message.Nonce, message.Code, message.Message, message.At.ToDateTimeOffset());

    /// <summary>The model's states as the messages carry them; the model's status rows hold them in lower case (<c>ready</c>).</summary>
    public static V1.ServiceState ToMessage(ActivationState state) => state switch
    {
        ActivationState.Stopped => V1.ServiceState.Stopped,
        ActivationState.Starting => V1.ServiceState.Starting,
        ActivationState.Ready => V1.ServiceState.Ready,
        ActivationState.Stopping => V1.ServiceState.Stopping,
        ActivationState.Failed => V1.ServiceState.Failed,
        ActivationState.External => V1.ServiceState.External,
        _ => V1.ServiceState.Unspecified,
    };

    private static V1.ServiceState ToMessage(string state) =>
        Enum.TryParse<ActivationState>(state, ignoreCase: true, out var parsed) ? ToMessage(parsed) : V1.ServiceState.Unspecified;

    private static ActivationState ToModel(V1.ServiceState state) => state switch
    {
        V1.ServiceState.Starting => ActivationState.Starting,
        V1.ServiceState.Ready => ActivationState.Ready,
        V1.ServiceState.Stopping => ActivationState.Stopping,
        V1.ServiceState.Failed => ActivationState.Failed,
        V1.ServiceState.External => ActivationState.External,
        _ => ActivationState.Stopped,
    };

    private static string FromMessage(V1.ServiceState state) =>
        state == V1.ServiceState.Unspecified ? "unknown" : ToModel(state).ToString().ToLowerInvariant();
}
