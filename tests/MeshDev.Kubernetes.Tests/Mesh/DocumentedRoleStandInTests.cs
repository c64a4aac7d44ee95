using k8s;
using k8s.Models;
using MeshDev.Catalog;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Kubernetes.Objects;
using MeshDev.Kubernetes.Tests.Runtime;
using MeshDev.Runtime;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Kubernetes.Tests.Mesh;

/// <summary>
/// The Role and ClusterRole docs/kubernetes.md tells an admin to grant are exactly what a mesh with pods needs: against
/// the API-server stand-in, granted only those rules (matched by API group too, as RBAC does), the whole life of a mesh
/// works — and every verb they list is used; the optional namespace verbs are each what their feature uses.
/// </summary>
[Collection(WholeMeshCollection.Name)]
public sealed class DocumentedRoleStandInTests
{
    /// <summary>Rules the team's own manifests need only when they hold such objects; a generated workload does not.</summary>
    private static readonly string[] ManifestOnlyKinds = ["configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims"];

    [Fact]
    public async Task StandIn_the_documented_role_is_all_a_mesh_with_pods_needs_and_it_uses_every_verb_listed()
    {
        var rules = DocumentedRules(block: 0);
        await using var mesh = await ClusterMesh.StartAsync(
            new Dictionary<string, string> { ["orders"] = "kubernetes", ["stock"] = "kubernetes", ["users"] = "process" },
            prepare: async apiServer =>
            {
                // The admin's part: the namespace, labelled as alice's; then alice may do only what the docs grant.
                using var admin = apiServer.CreateClient();
                await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "meshdev-alice", Labels = new Dictionary<string, string> { [MeshLabels.Owner] = "alice" } } });
                apiServer.GrantOnly(rules);
            });

        Assert.Contains("hello from users", await GetAsync(mesh.Url("orders", "/callservice/users")), StringComparison.Ordinal);
        Assert.Contains("hello from stock", await GetAsync(mesh.Url("orders", "/callservice/stock")), StringComparison.Ordinal);
        Assert.Contains("listening on", await WaitForLogAsync(mesh, "orders", "listening on"), StringComparison.Ordinal);
        await mesh.StopMeshAsync();
        var purge = await MeshObjects.PurgeAsync(mesh.Manifest, mesh.Options.MeshId, mesh.Options);
        Assert.Empty(purge.Problems);

        var used = mesh.ApiServer.UsedPermissions.Select(u => (u.Group, u.Verb, u.Resource)).ToHashSet();
        var unused = rules.Where(r => !ManifestOnlyKinds.Contains(r.Resource) && !used.Contains((r.Group, r.Verb, r.Resource)))
            .Select(r => $"{r.Verb} {r.Resource} (group \"{r.Group}\")").ToList();
        Assert.True(unused.Count == 0, $"the docs grant verbs MeshDev never used: {string.Join(", ", unused)}");
    }

    [Fact]
    public async Task StandIn_the_optional_create_and_delete_let_meshdev_make_its_namespace_and_purge_it()
    {
        await using var cluster = await StandInCluster.StartAsync();
        // No namespace yet: MeshDev creates it, and the Role is bound in it (the admin's part once it exists).
        cluster.ApiServer.GrantOnly([.. DocumentedRules(block: 0), .. DocumentedRules(block: 1)]);
        var service = StandInCluster.Service();
        var activator = cluster.Activator(service, cluster.Runtime());
        using (var lease = await StandInCluster.AcquireAsync(activator))
        {
            Assert.Equal("hello from orders", await StandInCluster.CallAsync(lease));
        }

        await activator.StopAsync();
        var options = new KubernetesRuntimeOptions { MeshId = StandInCluster.MeshId, ManifestPath = cluster.ManifestPath, Owner = StandInCluster.Owner, KubeConfig = KubeConfigSource.FromFile(cluster.Kubeconfig) };
        var purge = await MeshObjects.PurgeAsync(new MeshManifest(cluster.ManifestPath, new MeshSettings(), [service]), StandInCluster.MeshId, options);

        Assert.Empty(purge.Problems);
        Assert.Equal([StandInCluster.Namespace], purge.DeletedNamespaces);
        Assert.Contains(("", "create", "namespaces", (string?)null), cluster.ApiServer.UsedPermissions);
        Assert.Contains(("", "delete", "namespaces", (string?)null), cluster.ApiServer.UsedPermissions);
    }

    [Fact]
    public async Task StandIn_the_optional_patch_lets_adopt_label_an_unlabelled_namespace_as_the_developers()
    {
        await using var cluster = await StandInCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = StandInCluster.Namespace } });
        cluster.ApiServer.GrantOnly([.. DocumentedRules(block: 0), .. DocumentedRules(block: 1)]);
        var log = new ServiceLog("orders", null);

        await cluster.Runtime(adopt: true).PrepareAsync(StandInCluster.Service(), log, CancellationToken.None);

        Assert.Equal(StandInCluster.Owner, (await cluster.Client.CoreV1.ReadNamespaceAsync(StandInCluster.Namespace)).Metadata.Labels[MeshLabels.Owner]);
        Assert.Contains(("", "patch", "namespaces", (string?)null), cluster.ApiServer.UsedPermissions);
        Assert.Contains(log.Tail(), l => l.StartsWith("meshdev: adopted namespace meshdev-alice", StringComparison.Ordinal));
    }

    /// <summary>
    /// The rules of the Roles (in meshdev-alice) and ClusterRoles (names listed) in the <paramref name="block"/>th YAML
    /// block of docs/kubernetes.md's Permissions: 0 is what every developer needs, 1 the optional namespace verbs.
    /// </summary>
    private static List<(string Group, string Verb, string Resource, string? Namespace, string? Name)> DocumentedRules(int block)
    {
        var docs = File.ReadAllText(Path.Combine(TestPrograms.RepositoryRoot, "docs", "kubernetes.md"));
        var section = docs[docs.IndexOf("## Permissions", StringComparison.Ordinal)..];
        var start = 0;
        for (var skipped = 0; skipped < block; skipped++)
        {
            start = section.IndexOf("```", section.IndexOf("```yaml", start, StringComparison.Ordinal) + "```yaml".Length, StringComparison.Ordinal) + "```".Length;
        }

        start = section.IndexOf("```yaml", start, StringComparison.Ordinal) + "```yaml".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var rules = new List<(string, string, string, string?, string?)>();
        foreach (var document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var kind = ((YamlScalarNode)root["kind"]).Value;
            if (kind is not ("Role" or "ClusterRole"))
            {
                continue;
            }

            var @namespace = kind == "Role" ? ((YamlScalarNode)((YamlMappingNode)root["metadata"])["namespace"]).Value : null;
            foreach (YamlMappingNode rule in (YamlSequenceNode)root["rules"])
            {
                var names = rule.Children.TryGetValue("resourceNames", out var listed) ? ((YamlSequenceNode)listed).Select(n => ((YamlScalarNode)n).Value) : [null];
                foreach (var group in ((YamlSequenceNode)rule["apiGroups"]).Select(n => ((YamlScalarNode)n).Value!))
                {
                    foreach (var resource in ((YamlSequenceNode)rule["resources"]).Select(n => ((YamlScalarNode)n).Value!))
                    {
                        foreach (var verb in ((YamlSequenceNode)rule["verbs"]).Select(n => ((YamlScalarNode)n).Value!))
                        {
                            rules.AddRange(names.Select(name => (group, verb, resource, @namespace, name)));
                        }
                    }
                }
            }
        }

        Assert.NotEmpty(rules);
        return rules;
    }

    private static Task<string> GetAsync(Uri url) => ClusterMesh.GetOkAsync(url);

    /// <summary>The service's log once a line containing <paramref name="text"/> reached it (the pod's output is followed).</summary>
    private static async Task<string> WaitForLogAsync(ClusterMesh mesh, string service, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!mesh.LogOf(service).Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' never reached {service}'s log:\n{mesh.LogOf(service)}");
            await Task.Delay(50);
        }

        return mesh.LogOf(service);
    }
}
