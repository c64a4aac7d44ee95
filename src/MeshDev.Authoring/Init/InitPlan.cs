using System.Collections.Immutable;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Init;

/// <summary>One <c>project:</c> service <c>init</c> writes, with why each setting is what it is.</summary>
public sealed record InitService
{
    public required string Name { get; init; }

    /// <summary>The absolute path of the project file.</summary>
    public required string ProjectPath { get; init; }

    /// <summary>The fixed <c>port:</c> from the launch profile; null writes none (<c>auto</c>).</summary>
    public int? Port { get; init; }

    public ImmutableArray<KeyValuePair<string, string>> Env { get; init; } = [];

    /// <summary>The <c>ready:</c> probe when the project serves a health check; null keeps the default (tcp).</summary>
    public ReadyProbeSpec? Ready { get; init; }

    public ImmutableArray<string> GrpcServices { get; init; } = [];

    public ImmutableArray<string> Calls { get; init; } = [];

    /// <summary>Where each setting came from, one phrase each (<c>port 5191 from profile 'http' of …</c>).</summary>
    public ImmutableArray<string> Reasons { get; init; } = [];
}

/// <summary>A project that is not a service, and why (<c>a class library (…)</c>).</summary>
public sealed record SkippedProject(string ProjectPath, string Reason);

/// <summary>What <c>init</c> found: the services, the projects it skipped, warnings and a compose file next to the sources.</summary>
/// <param name="Source">What was read (<see cref="InitSources.Description"/>).</param>
/// <param name="Warnings">Problems the user should fix or know about (a shared port, an unreadable launchSettings.json), one sentence each.</param>
/// <param name="ComposeFile">The absolute path of a compose file beside the sources or the manifest, or null.</param>
public sealed record InitPlan(
    string Source,
    ImmutableArray<InitService> Services,
    ImmutableArray<SkippedProject> Skipped,
    ImmutableArray<string> Warnings,
    string? ComposeFile);
