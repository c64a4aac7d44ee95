using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev doctor</c>: one line per check, one sentence saying what to fix, exit code 1 only for what the mesh needs.</summary>
public sealed class CliDoctorTests
{
    [Fact]
    public async Task Reports_a_taken_mesh_port_and_fails()
    {
        await using var cli = NewCli();
        var manifest = new ManifestBuilder(cli.Tag).Service("orders");
        cli.WriteManifest(manifest.ToYaml());
        using var other = new TcpListener(IPAddress.Loopback, manifest.MeshPorts["orders"]);
        other.Start();

        var result = await cli.RunAsync("doctor");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"FAIL  mesh ports: taken by another program: mesh port {manifest.MeshPorts["orders"]} of service 'orders' (meshPort), held by pid {Environment.ProcessId} (", result.Stdout);
        Assert.Contains($", in {Environment.CurrentDirectory}): stop it or choose other ports in the manifest", result.Stdout);
        Assert.Contains("ok    .NET SDK: 10.", result.Stdout);
    }

    [Fact]
    public async Task Missing_docker_engine_and_kubeconfig_are_warnings_with_what_to_do()
    {
        await using var cli = NewCli();
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Service("orders").ToYaml());

        var result = await cli.RunOkAsync("doctor");

        Assert.Contains($"ok    manifest: {Path.Combine(cli.Directory, "meshdev.yaml")} is valid (1 service)", result.Stdout);
        Assert.Contains("ok    mesh ports: all 3 free on 127.0.0.1", result.Stdout);
        Assert.Contains($"warn  docker engine: the Docker engine is not reachable at unix://{cli.Directory}/no-docker.sock (no such socket); {cli.Directory}/no-docker.sock does not exist: start the engine (sudo systemctl start docker, or dockerd) or set DOCKER_HOST to where it listens — needed only for runtime: docker", result.Stdout);
        Assert.Contains($"warn  kube context: no kubeconfig: none of the files in KUBECONFIG ({cli.Directory}/no-kubeconfig) exists; point KUBECONFIG at your cluster's kubeconfig", result.Stdout);
        Assert.Contains("— needed only for runtime: kubernetes", result.Stdout);
    }

    [Fact]
    public async Task Missing_docker_engine_fails_the_check_when_the_manifest_has_containers()
    {
        await using var cli = NewCli();
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Container("web", "shop/web:1").ToYaml());

        var result = await cli.RunAsync("doctor");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"FAIL  docker engine: the Docker engine is not reachable at unix://{cli.Directory}/no-docker.sock (no such socket);", result.Stdout);
        Assert.Contains("— the manifest has runtime: docker services", result.Stdout);
    }

    [Fact]
    public async Task A_running_docker_engine_is_reported_with_its_version()
    {
        await using var cli = new MeshdevCli();
        cli.ExtraEnvironment["KUBECONFIG"] = Path.Combine(cli.Directory, "no-kubeconfig");
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Container("web", "shop/web:1").ToYaml());

        var result = await cli.RunOkAsync("doctor");

        Assert.Matches(@"ok    docker engine: Docker \S+ \(API 1\.\d+\) answering at ", result.Stdout);
    }

    [Fact]
    public async Task Invalid_manifest_and_kube_context_in_json()
    {
        await using var cli = NewCli();
        cli.WriteManifest("services:\n  orders:\n    xyz: x\n");
        var kubeconfig = Path.Combine(cli.Directory, "kubeconfig");
        File.WriteAllText(kubeconfig, Kubeconfig("dev-alice", "dev-alice"));
        cli.ExtraEnvironment["KUBECONFIG"] = kubeconfig;

        var result = await cli.RunAsync("doctor", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        var checks = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.False(checks["manifest"].GetProperty("ok").GetBoolean());
        Assert.Contains("has 2 problems, the first: ", checks["manifest"].GetProperty("message").GetString());
        Assert.Contains("meshdev.yaml:2:3: service 'orders' needs 'command' or 'project'; run 'meshdev validate' to see all", checks["manifest"].GetProperty("message").GetString());
        Assert.True(checks["kube context"].GetProperty("ok").GetBoolean());
        Assert.Equal($"context 'dev-alice' of {kubeconfig}", checks["kube context"].GetProperty("message").GetString());
        Assert.False(checks.ContainsKey("mesh ports"), "ports are checked only for a valid manifest");
    }

    [Fact]
    public async Task Kube_context_is_checked_as_a_launch_loads_it_and_is_required_for_kubernetes_services()
    {
        await using var cli = NewCli();
        // The second file defines the context the first one names as current: KUBECONFIG's files are merged, as kubectl does.
        var current = Path.Combine(cli.Directory, "current");
        var contexts = Path.Combine(cli.Directory, "contexts");
        File.WriteAllText(current, "apiVersion: v1\nkind: Config\ncurrent-context: dev-alice\n");
        File.WriteAllText(contexts, Kubeconfig("dev-alice", current: null));
        cli.ExtraEnvironment["KUBECONFIG"] = $"{current}:{contexts}";
        cli.WriteManifest("services:\n  orders:\n    runtime: kubernetes\n    image: shop/orders:dev\n    port: 8080\n" +
                          "  billing:\n    runtime: kubernetes\n    image: shop/billing:dev\n    port: 8080\n    context: staging\n");

        var result = await cli.RunAsync("doctor");

        // A named context that no file has fails the check, which the kubernetes services make required.
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"FAIL  kube context: context 'staging' is not in {current}:{contexts} (it has dev-alice); fix 'context' or KUBECONFIG — the manifest has runtime: kubernetes services", result.Stdout);

        cli.WriteManifest("services:\n  orders:\n    runtime: kubernetes\n    image: shop/orders:dev\n    port: 8080\n");
        var fixedResult = await cli.RunAsync("doctor");

        Assert.Contains($"ok    kube context: context 'dev-alice' of {current}:{contexts}", fixedResult.Stdout);
    }

    [Fact]
    public async Task A_current_context_no_file_defines_is_a_warning_naming_the_contexts_there_are()
    {
        await using var cli = NewCli();
        var kubeconfig = Path.Combine(cli.Directory, "kubeconfig");
        File.WriteAllText(kubeconfig, Kubeconfig("kind-dev", current: "gone"));
        cli.ExtraEnvironment["KUBECONFIG"] = kubeconfig;
        cli.WriteManifest(new ManifestBuilder(cli.Tag).Service("orders").ToYaml());

        var result = await cli.RunOkAsync("doctor");

        Assert.Contains($"warn  kube context: context 'gone' is not in {kubeconfig} (it has kind-dev); fix 'context' or KUBECONFIG — needed only for runtime: kubernetes", result.Stdout);
    }

    /// <summary>A kubeconfig with one context, its cluster (a loopback address nobody calls) and a token user.</summary>
    private static string Kubeconfig(string context, string? current) =>
        "apiVersion: v1\nkind: Config\n" +
        (current is null ? "" : $"current-context: {current}\n") +
        $"clusters:\n- name: {context}\n  cluster:\n    server: https://127.0.0.1:6443\n" +
        $"users:\n- name: {context}\n  user:\n    token: abc\n" +
        $"contexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}\n";

    private static MeshdevCli NewCli()
    {
        var cli = new MeshdevCli();
        cli.ExtraEnvironment["DOCKER_HOST"] = $"unix://{cli.Directory}/no-docker.sock";
        cli.ExtraEnvironment["KUBECONFIG"] = Path.Combine(cli.Directory, "no-kubeconfig");
        return cli;
    }
}
