using k8s;
using k8s.Models;
using MeshDev.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A stand-in for a Kubernetes API server, because no real one can be installed or run on these machines. An
/// in-process Kestrel server on <c>http://127.0.0.1:{free port}</c> that speaks the real wire protocol to the real
/// KubernetesClient: REST JSON (KubernetesClient's own model types and serializer) for namespaces, deployments (with
/// the <c>scale</c> subresource and server-side apply), services, pods (with <c>log</c>) and events; <c>Status</c>
/// errors; watch streams; and port-forward over the <c>v4.channel.k8s.io</c> WebSocket subprotocol. Behind it, a
/// simulated Deployment controller and kubelet make pods come and go and move them on as
/// <see cref="SetImageBehaviour"/> says (running and forwarding to a local server, really running a local command in
/// the pod's own network namespace, failing to pull, crash looping, unschedulable), with the Events a cluster writes.
/// Start one per test; dispose it at the end.
/// </summary>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    private readonly WebApplication _server;
    private readonly ObjectStore _store;
    private readonly AccessRules _access;
    private readonly Kubelet _kubelet;
    private readonly DeploymentController _controller;
    private readonly CancellationTokenSource _stopping;
    private readonly List<ApiRequest> _requests = [];
    private RestApi? _api;

    private KubernetesApiStandIn(
        WebApplication server, ObjectStore store, AccessRules access, Kubelet kubelet, DeploymentController controller, CancellationTokenSource stopping)
    {
        _server = server;
        _store = store;
        _access = access;
        _kubelet = kubelet;
        _controller = controller;
        _stopping = stopping;
    }

    /// <summary><c>http://127.0.0.1:{port}/</c>: the cluster's server URL.</summary>
    public Uri Server { get; private set; } = null!;

    /// <summary>The bearer token the stand-in accepts; any other gets 401 Unauthorized.</summary>
    public string Token => _access.Token;

    /// <summary>The user that token authenticates as (named in 403 Forbidden messages).</summary>
    public string UserName => _access.UserName;

    /// <summary>A client configuration for the stand-in (server and token, no namespace), for using KubernetesClient directly.</summary>
    public KubernetesClientConfiguration Configuration => new() { Host = Server.ToString(), AccessToken = Token };

    /// <summary>The latest <c>resourceVersion</c> (one counter for every kind, as etcd's).</summary>
    public long ResourceVersion => _store.Version;

    /// <summary>How long a deleted pod's containers take to stop before the pod disappears. Default none.</summary>
    public TimeSpan PodTerminationDelay
    {
        get => _kubelet.TerminationDelay;
        set => _kubelet.TerminationDelay = value;
    }

    /// <summary>Every request so far, in the order they were answered.</summary>
    public IReadOnlyList<ApiRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>
    /// Starts a stand-in with the namespaces a new cluster has (<c>default</c>, <c>kube-system</c>, <c>kube-public</c>,
    /// <c>kube-node-lease</c>). <paramref name="timeProvider"/> times the kubelet (readiness delays, back-offs), watch
    /// timeouts and timestamps; default the system clock.
    /// </summary>
    public static async Task<KubernetesApiStandIn> StartAsync(TimeProvider? timeProvider = null, string userName = "alice", CancellationToken cancellationToken = default)
    {
        var time = timeProvider ?? TimeProvider.System;
        await NodeNetwork.RemoveStaleAsync();
        var store = new ObjectStore(time);
        var defaults = new ObjectDefaults();
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            var ns = new V1Namespace { Metadata = new V1ObjectMeta { Name = name } };
            defaults.Apply(ns, null);
            store.Create(ApiResources.Namespaces, ns);
        }

        var events = new EventRecorder(store);
        var kubelet = new Kubelet(store, events, time);
        var controller = new DeploymentController(store, events);
        var access = new AccessRules(userName);
        var stopping = new CancellationTokenSource();
        var api = new RestApi(store, access, defaults, kubelet, time, stopping.Token);

        var server = LoopbackKestrel.CreateBuilder().Build();
        var standIn = new KubernetesApiStandIn(server, store, access, kubelet, controller, stopping) { _api = api };
        server.UseWebSockets();
        server.Run(context => standIn.RecordAsync(context, api.HandleAsync));
        var port = await LoopbackKestrel.StartAsync(server, cancellationToken);
        standIn.Server = new Uri($"http://127.0.0.1:{port}/");
        return standIn;
    }

    /// <summary>Only <paramref name="rules"/> allow anything from now on (see <see cref="AccessRules.GrantOnly"/>).</summary>
    internal void GrantOnly(IEnumerable<(string Group, string Verb, string Resource, string? Namespace, string? Name)> rules) => _access.GrantOnly(rules);

    /// <summary>Every (API group, verb, resource, namespace) the user asked for and was allowed so far.</summary>
    internal IReadOnlyCollection<(string Group, string Verb, string Resource, string? Namespace)> UsedPermissions => _access.Used;

    /// <summary>Ends every port-forward open now (an API server restart, a dropped connection); new ones are accepted as before.</summary>
    public void CutPortForwards() => _api?.PortForward.CutAll();

    /// <summary>
    /// Ends every watch open now, as a real API server does with each watch after its request timeout (30 to 60 min by
    /// default): the stream just ends; new watches are accepted as before.
    /// </summary>
    public void EndWatches() => _api?.Watch.EndAll();

    /// <summary>A new KubernetesClient for the stand-in (dispose it).</summary>
    public k8s.Kubernetes CreateClient() => new(Configuration);

    /// <summary>
    /// Writes a kubeconfig for the stand-in to <paramref name="path"/> (mode 0600): cluster <paramref name="contextName"/>
    /// with the server URL, a user with the bearer token, and a current context of that name with
    /// <paramref name="namespace"/> when given; so a runtime can be configured exactly as a user's would (<c>KUBECONFIG</c>).
    /// </summary>
    public string WriteKubeconfig(string path, string contextName = "meshdev-test", string? @namespace = null)
    {
        Kubeconfig.Write(path, Kubeconfig.Render(Server, Token, contextName, @namespace));
        return path;
    }

    /// <summary>
    /// Makes the stand-in's kubelet treat <paramref name="image"/> (exactly as written in a container spec) as
    /// <paramref name="behaviour"/> says, for pods started from now on.
    /// </summary>
    public void SetImageBehaviour(string image, ImageBehaviour behaviour) => _kubelet.SetImageBehaviour(image, behaviour);

    /// <summary>
    /// The network namespace of pod <paramref name="pod"/> in <paramref name="namespace"/>, which a pod of an
    /// <see cref="ImageBehaviour.Executes"/> image has once it is scheduled: to connect or run a command from inside the
    /// pod, and for its IP. Null for other pods and pods that are gone.
    /// </summary>
    public PodNetwork? NetworkOf(string @namespace, string pod) =>
        _store.Get<V1Pod>(ApiResources.Pods, @namespace, pod) is { } found ? _kubelet.NetworkOf(found) : null;

    /// <summary>
    /// What the names of this stand-in's network namespaces (its node's and its pods') start with, as
    /// <c>ip netns list</c> shows them; none is left once it is disposed.
    /// </summary>
    public string NetworkNamespacePrefix => _kubelet.NetworkPrefix;

    /// <summary>
    /// Denies <paramref name="verb"/> (<c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>, <c>patch</c>,
    /// <c>delete</c>, <c>deletecollection</c>, or <c>*</c>) on <paramref name="resource"/> (<c>deployments</c>,
    /// <c>deployments/scale</c>, <c>pods/log</c>, <c>pods/portforward</c>, <c>namespaces</c>…, or <c>*</c>) in
    /// <paramref name="namespace"/> (every namespace and the cluster scope when null): those calls get 403 Forbidden
    /// worded as the API server's RBAC denial.
    /// </summary>
    public void Forbid(string verb, string resource, string? @namespace = null) => _access.Forbid(verb, resource, @namespace);

    /// <summary>Undoes a <see cref="Forbid"/> with the same arguments.</summary>
    public void Allow(string verb, string resource, string? @namespace = null) => _access.Allow(verb, resource, @namespace);

    /// <summary>Stops the server: open watches end, port-forwards close, the controller and kubelet stop.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _store.Stop();
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
        await _controller.DisposeAsync();
        await _kubelet.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        string? body = null;
        if (request.Method is "POST" or "PUT" or "PATCH" or "DELETE")
        {
            request.EnableBuffering();
            body = await RequestBodies.ReadTextAsync(request, context.RequestAborted);
            request.Body.Position = 0;
        }

        var recorded = 0;
        void Record()
        {
            if (Interlocked.Exchange(ref recorded, 1) == 0)
            {
                lock (_requests)
                {
                    _requests.Add(new ApiRequest(request.Method, $"{request.Path}{request.QueryString}", context.Response.StatusCode, request.ContentType, body));
                }
            }
        }

        // Recorded as the answer starts, so a client that has its answer finds its request here (a watch's too).
        context.Response.OnStarting(() =>
        {
            Record();
            return Task.CompletedTask;
        });
        try
        {
            await next(context);
        }
        finally
        {
            Record();
        }
    }
}
