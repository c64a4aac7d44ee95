using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Objects;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Kubernetes.Tests.Mesh;

/// <summary>
/// The Role and ClusterRole docs/kubernetes.md tells an admin to grant are exactly what a mesh with pods needs: against
/// the API-server stand-in, granted only those rules, the whole life of a mesh works — and every verb they list is used.
/// </summary>
[Collection(WholeMeshCollection.Name)]
public sealed class DocumentedRoleStandInTests
{
    /// <summary>Rules the team's own manifests need only when they hold such objects; a generated workload does not.</summary>
    private static readonly string[] ManifestOnlyKinds = ["configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims"];

    [Fact]
    public async Task StandIn_the_documented_role_is_all_a_mesh_with_pods_needs_and_it_uses_every_verb_listed()
    {
        var rules = DocumentedRules();
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

        var used = mesh.ApiServer.UsedPermissions.Select(u => (u.Verb, u.Resource)).ToHashSet();
        var unused = rules.Where(r => !ManifestOnlyKinds.Contains(r.Resource) && !used.Contains((r.Verb, r.Resource)))
            .Select(r => $"{r.Verb} {r.Resource}").ToList();
        Assert.True(unused.Count == 0, $"the docs grant verbs MeshDev never used: {string.Join(", ", unused)}");
    }

    /// <summary>The rules of the Role (in meshdev-alice) and the ClusterRole (names listed) in docs/kubernetes.md's Permissions.</summary>
    private static List<(string Verb, string Resource, string? Namespace, string? Name)> DocumentedRules()
    {
        var docs = File.ReadAllText(Path.Combine(TestPrograms.RepositoryRoot, "docs", "kubernetes.md"));
        var section = docs[docs.IndexOf("## Permissions", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml", StringComparison.Ordinal) + "```yaml".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var rules = new List<(string, string, string?, string?)>();
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
                foreach (var resource in ((YamlSequenceNode)rule["resources"]).Select(n => ((YamlScalarNode)n).Value!))
                {
                    foreach (var verb in ((YamlSequenceNode)rule["verbs"]).Select(n => ((YamlScalarNode)n).Value!))
                    {
                        rules.AddRange(names.Select(name => (verb, resource, @namespace, name)));
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
