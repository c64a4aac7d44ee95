using System.Globalization;
using System.Text;
using static MeshDev.Bench.Shared.Stats;

namespace MeshDev.DockerBench;

/// <summary>The image under test as the engine describes it.</summary>
internal sealed record ImageInfo(string Reference, string Id, long SizeBytes);

/// <summary>Everything one run measured.</summary>
internal sealed record BenchRun(Machine Machine, string LoadAtEnd, ImageInfo Image, int Warmup, IReadOnlyList<DirectRound> Direct, IReadOnlyList<MeshRound> Mesh, IReadOnlyList<ReplayRound> Replay);

/// <summary>The Markdown report of one run.</summary>
internal static class Report
{
    public const double TargetMs = 50;

    public static string Build(BenchRun run)
    {
        var invariant = CultureInfo.InvariantCulture;
        var machine = run.Machine;
        var rounds = run.Direct.Count;
        var direct = Summary.Of([.. run.Direct.Select(d => d.TotalMs)]);
        var mesh = Summary.Of([.. run.Mesh.Select(m => m.TotalMs)]);
        var pairs = Summary.Of([.. run.Mesh.Zip(run.Direct, (m, d) => m.TotalMs - d.TotalMs)]);
        var overhead = mesh.Median - direct.Median;
        var ratio = mesh.Median / direct.Median;

        var text = new StringBuilder();
        text.AppendLine("# Docker activation overhead (MeshDev.DockerBench)");
        text.AppendLine();
        text.AppendLine("Written by `devtools/bench/run-docker.sh` (project `devtools/bench/MeshDev.DockerBench`). Every figure below comes from this one run.");
        text.AppendLine();
        text.AppendLine("| | |");
        text.AppendLine("| --- | --- |");
        text.AppendLine(invariant, $"| date | {machine.Date} |");
        text.AppendLine(invariant, $"| machine | {machine.Cpus} cores ({machine.CpuModel}), {machine.Kernel} |");
        text.AppendLine(invariant, $"| engine | {machine.Engine}; containers on the host network |");
        text.AppendLine(invariant, $"| runtime | {machine.Runtime}; the mesh runs inside the bench process |");
        text.AppendLine(invariant, $"| commit | {machine.Commit} |");
        text.AppendLine(invariant, $"| load average (1/5/15 min) | {machine.LoadAtStart} at the start, {run.LoadAtEnd} at the end |");
        text.AppendLine(invariant, $"| image | `{run.Image.Reference}` ({run.Image.SizeBytes / 1e6:0.0} MB, {run.Image.Id[..Math.Min(19, run.Image.Id.Length)]}): tests/MeshDev.ContainerService, NativeAOT, FROM scratch; listens on 127.0.0.1:$PORT |");
        text.AppendLine(invariant, $"| rounds | {rounds} per side, alternating direct, mesh, direct, mesh… after {run.Warmup} warm-up round(s) per side |");
        text.AppendLine();

        text.AppendLine("## Result");
        text.AppendLine();
        text.AppendLine("| side | median | p25 | p75 | min | max |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        text.AppendLine(invariant, $"| **direct**: `CreateContainerAsync` sent → first 200 on `GET /` (port polled every ~1 ms on a fresh connection once the start call returned: TCP connect, then `GET /`) | {Row(direct)} |");
        text.AppendLine(invariant, $"| **mesh**: `GET /` sent to the mesh port of the stopped service (no container) → 200 | {Row(mesh)} |");
        text.AppendLine(invariant, $"| mesh<sub>i</sub> − direct<sub>i</sub>, per round | {Row(pairs, signed: true)} |");
        text.AppendLine();
        text.AppendLine(invariant, $"- **overhead = median(mesh) − median(direct) = {Signed(overhead)}**");
        text.AppendLine(invariant, $"- **ratio = median(mesh) / median(direct) = {ratio:0.00}×**");
        text.AppendLine(invariant, $"- median of the per-round differences (mesh<sub>i</sub> − direct<sub>i</sub>) = {Signed(pairs.Median)}");
        var verdict = rounds < BenchOptions.MinimumRoundsForTarget
            ? $"not judged ({rounds} rounds; the target is a median of at least {BenchOptions.MinimumRoundsForTarget})"
            : overhead <= TargetMs ? $"**met** ({Ms(overhead)})" : $"**not met** ({Ms(overhead)})";
        text.AppendLine(invariant, $"- target ≤ {TargetMs:0} ms: {verdict}");
        text.AppendLine();

        AppendPhases(text, run);
        AppendReplay(text, run);
        AppendRounds(text, run);
        return text.ToString();
    }

    private static void AppendPhases(StringBuilder text, BenchRun run)
    {
        var invariant = CultureInfo.InvariantCulture;
        double Direct(Func<DirectRound, double> f) => Summary.Of([.. run.Direct.Select(f)]).Median;
        double Mesh(Func<MeshTimeline, double> f) => Summary.Of([.. run.Mesh.Select(m => f(m.Timeline))]).Median;
        double Between(MeshTimeline t, Milestone from, Milestone to) => t.Ms(to) - t.Ms(from);

        text.AppendLine("## Where the time goes");
        text.AppendLine();
        text.AppendLine("Medians over the rounds of each step's own duration (so the steps need not add up to the total exactly). The mesh's");
        text.AppendLine("steps come from a wrapper around its own `DockerRuntime` (timestamps only), its service log (\"created container\",");
        text.AppendLine("the container's \"listening on\") and a wrapper around the readiness probe the activator uses (a TCP connect: the");
        text.AppendLine("image has no HEALTHCHECK). Both sides see the port accept first, then the app's first request (`GET /` on a new");
        text.AppendLine("connection: directly, or forwarded by the mesh).");
        text.AppendLine();
        text.AppendLine("| step | direct | mesh |");
        text.AppendLine("| --- | ---: | ---: |");
        text.AppendLine(invariant, $"| request → activator begins the launch (`PrepareAsync` called) | | {Ms(Mesh(t => t.Ms(Milestone.LaunchBegins)))} |");
        text.AppendLine(invariant, $"| `PrepareAsync`: image inspect (`pull: never`) | | {Ms(Mesh(t => Between(t, Milestone.LaunchBegins, Milestone.ImageChecked)))} |");
        text.AppendLine(invariant, $"| `PrepareAsync` returned → `StartAsync` called (free port) | | {Ms(Mesh(t => Between(t, Milestone.ImageChecked, Milestone.StartCalled)))} |");
        text.AppendLine(invariant, $"| create (mesh: list the service's containers + create, up to the \"created container\" log line) | {Ms(Direct(d => d.CreatedMs))} | {Ms(Mesh(t => Between(t, Milestone.StartCalled, Milestone.Created)))} |");
        text.AppendLine(invariant, $"| start (mesh: attach to the output + start, until `StartAsync` returns) | {Ms(Direct(d => d.StartedMs - d.CreatedMs))} | {Ms(Mesh(t => Between(t, Milestone.Created, Milestone.Started)))} |");
        text.AppendLine(invariant, $"| start returned → port accepts (direct: connect every ~1 ms; mesh: TCP probe, 5 ms growing to 20 ms) | {Ms(Direct(d => d.AcceptedMs - d.StartedMs))} | {Ms(Mesh(t => Between(t, Milestone.Started, Milestone.ProbePassed)))} |");
        text.AppendLine(invariant, $"| port accepts → 200 (direct: `GET /`; mesh: ready, routing update, `GET /` forwarded on a new connection) | {Ms(Direct(d => d.TotalMs - d.AcceptedMs))} | {Ms(Summary.Of([.. run.Mesh.Select(m => m.TotalMs - m.Timeline.Ms(Milestone.ProbePassed))]).Median)} |");
        text.AppendLine(invariant, $"| **total** | **{Ms(Direct(d => d.TotalMs))}** | **{Ms(Summary.Of([.. run.Mesh.Select(m => m.TotalMs)]).Median)}** |");
        text.AppendLine(invariant, $"| polls (direct) / probes (mesh) until the port accepted | {Direct(d => d.Polls):0} | {Mesh(t => t.Probes):0} |");
        text.AppendLine(invariant, $"| *for information: start returned → the container's \"listening on\" line received (attach stream; can lag the probe)* | | {Ms(Mesh(t => Between(t, Milestone.Started, Milestone.Listening)))} |");
        text.AppendLine();
        text.AppendLine("Milestones (medians, ms after the create call (direct) or after sending the request (mesh)):");
        text.AppendLine();
        text.AppendLine("| milestone | direct | mesh |");
        text.AppendLine("| --- | ---: | ---: |");
        text.AppendLine(invariant, $"| launch begins / image checked / `StartAsync` called | | {Ms(Mesh(t => t.Ms(Milestone.LaunchBegins)))} / {Ms(Mesh(t => t.Ms(Milestone.ImageChecked)))} / {Ms(Mesh(t => t.Ms(Milestone.StartCalled)))} |");
        text.AppendLine(invariant, $"| container created | {Ms(Direct(d => d.CreatedMs))} | {Ms(Mesh(t => t.Ms(Milestone.Created)))} |");
        text.AppendLine(invariant, $"| container started (first poll / probe) | {Ms(Direct(d => d.StartedMs))} | {Ms(Mesh(t => t.Ms(Milestone.Started)))} |");
        text.AppendLine(invariant, $"| port accepts | {Ms(Direct(d => d.AcceptedMs))} | {Ms(Mesh(t => t.Ms(Milestone.ProbePassed)))} |");
        text.AppendLine(invariant, $"| 200 received | {Ms(Direct(d => d.TotalMs))} | {Ms(Summary.Of([.. run.Mesh.Select(m => m.TotalMs)]).Median)} |");
        text.AppendLine();
    }

    private static void AppendReplay(StringBuilder text, BenchRun run)
    {
        if (run.Replay.Count == 0)
        {
            return;
        }

        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"## The mesh's engine calls one by one ({run.Replay.Count} replay rounds after the comparison, not counted in it)");
        text.AppendLine();
        text.AppendLine("What `DockerRuntime` and `ContainerInstance` ask the engine for one launch, made one after another with the same");
        text.AppendLine("client settings and each timed; then a TCP connect about every millisecond until the port accepts.");
        text.AppendLine();
        text.AppendLine("| call | median | p25 | p75 | min | max |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        void Line(string call, Func<ReplayRound, double> value) =>
            text.AppendLine(invariant, $"| {call} | {Row(Summary.Of([.. run.Replay.Select(value)]))} |");
        Line("`GET /images/{name}/json` (inspect; `PrepareAsync`, `pull: never`)", r => r.InspectMs);
        Line("`GET /containers/json?all&filters=label…` (the service's containers)", r => r.ListMs);
        Line("`POST /containers/create`", r => r.CreateMs);
        Line("`POST /containers/{id}/attach?stream&stdout&stderr` (hijacked connection)", r => r.AttachMs);
        Line("`POST /containers/{id}/start`", r => r.StartMs);
        Line("*start returned → the port accepts (the app's own startup)*", r => r.ListeningMs);
        Line("**inspect + list + attach** (the calls the direct side does not make)", r => r.InspectMs + r.ListMs + r.AttachMs);
        text.AppendLine();
    }

    private static void AppendRounds(StringBuilder text, BenchRun run)
    {
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine("## Rounds");
        text.AppendLine();
        text.AppendLine("Each step's duration in ms. Direct: create / start / → port accepts (polls) / → 200. Mesh: request → `StartAsync`");
        text.AppendLine("called / list + create / attach + start / → probe passed (probes) / → 200.");
        text.AppendLine();
        text.AppendLine("| round | direct | mesh | mesh − direct | direct steps | mesh steps |");
        text.AppendLine("| ---: | ---: | ---: | ---: | --- | --- |");
        for (var i = 0; i < run.Direct.Count; i++)
        {
            var d = run.Direct[i];
            var m = run.Mesh[i];
            var t = m.Timeline;
            string F(double ms) => double.IsNaN(ms) ? "n/a" : ms.ToString("0.0", CultureInfo.InvariantCulture);
            text.AppendLine(invariant,
                $"| {i + 1} | {Ms(d.TotalMs)} | {Ms(m.TotalMs)} | {Signed(m.TotalMs - d.TotalMs)} | " +
                $"{F(d.CreatedMs)} / {F(d.StartedMs - d.CreatedMs)} / {F(d.AcceptedMs - d.StartedMs)} ({d.Polls}) / {F(d.TotalMs - d.AcceptedMs)} | " +
                $"{F(t.Ms(Milestone.StartCalled))} / {F(t.Ms(Milestone.Created) - t.Ms(Milestone.StartCalled))} / {F(t.Ms(Milestone.Started) - t.Ms(Milestone.Created))} / " +
                $"{F(t.Ms(Milestone.ProbePassed) - t.Ms(Milestone.Started))} ({t.Probes}) / {F(m.TotalMs - t.Ms(Milestone.ProbePassed))} |");
        }
    }

    private static string Row(Summary s, bool signed = false)
    {
        Func<double, string> format = signed ? Signed : Ms;
        return $"{format(s.Median)} | {format(s.P25)} | {format(s.P75)} | {format(s.Min)} | {format(s.Max)}";
    }
}
