using MeshDev.Activation;
using MeshDev.Runtime;

namespace MeshDev.Daemon.Hosting;

/// <summary>How to run a mesh: mostly hooks for the CLI's foreground output and for tests.</summary>
public sealed record MeshHostOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Build .NET project services in the background right after start, so the first call does not pay for a compile.</summary>
    public bool Prebuild { get; init; } = true;

    /// <summary><c>meshdev up --watch</c>: a running project service is rebuilt as soon as its sources change, not at its next call.</summary>
    public bool Watch { get; init; }

    /// <summary><c>meshdev up --adopt</c>: the Kubernetes runtime may use a namespace that is not marked as this developer's (and marks it).</summary>
    public bool AdoptNamespaces { get; init; }

    /// <summary>Runtimes to use instead of the defaults (tests).</summary>
    public IReadOnlyList<IServiceRuntime>? Runtimes { get; init; }

    /// <summary>Where calls from pods are counted: given by tests that pass their own Kubernetes runtime, made by the mesh otherwise.</summary>
    public MeshDev.Calls.ClusterCalls? ClusterCalls { get; init; }

    /// <summary>Every line a service writes (service, line).</summary>
    public Action<string, string>? OnServiceOutput { get; init; }

    /// <summary>Every lifecycle change of a service.</summary>
    public Action<ServiceStateChange>? OnStateChange { get; init; }

    /// <summary>
    /// The OpenTelemetry settings (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_BSP_SCHEDULE_DELAY…) to use instead of the process
    /// environment's OTEL_* variables (tests); export is on when they name an endpoint.
    /// </summary>
    public IReadOnlyDictionary<string, string>? OtelSettings { get; init; }

    /// <summary>Lines about the mesh itself (listening, shutting down).</summary>
    public Action<string>? OnMeshMessage { get; init; }
}

/// <summary>The mesh could not start (ports taken, another mesh running…). The message says what to do.</summary>
public sealed class MeshStartException(string message) : Exception(message);
