using k8s.Models;
using MeshDev.Kubernetes.Objects;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>The multi-tenant rule: whose an object or a namespace is, and what MeshDev says when it is not this developer's.</summary>
public sealed class OwnershipTests
{
    private static readonly Ownership Alice = new("alice", "0123456789ab");

    private static Dictionary<string, string> Labels(string? owner, string? mesh = null)
    {
        var labels = new Dictionary<string, string> { ["app"] = "orders" };
        if (owner is not null)
        {
            labels[MeshLabels.Owner] = owner;
        }

        if (mesh is not null)
        {
            labels[MeshLabels.Mesh] = mesh;
        }

        return labels;
    }

    [Fact]
    public void Only_this_developers_objects_of_this_mesh_are_ours()
    {
        Assert.Equal(OwnershipKind.Ours, Alice.Of(Labels("alice", "0123456789ab")));
        Assert.Equal(OwnershipKind.OtherMesh, Alice.Of(Labels("alice", "ffffffffffff")));
        Assert.Equal(OwnershipKind.OtherOwner, Alice.Of(Labels("bob", "0123456789ab")));
        Assert.Equal(OwnershipKind.NotMeshDev, Alice.Of(Labels(null)));
        Assert.Equal(OwnershipKind.NotMeshDev, Alice.Of(null));
    }

    [Fact]
    public void A_refusal_says_whose_the_object_is_and_what_to_do()
    {
        Assert.Null(Alice.Refusal("Deployment 'orders'", Labels("alice", "0123456789ab"), null));
        Assert.Equal(
            "Deployment 'orders' exists and was not created by MeshDev (it has no dev.meshdev.owner=alice label); MeshDev never changes it: rename or delete it yourself, or use another 'namespace'",
            Alice.Refusal("Deployment 'orders'", Labels(null), null));
        Assert.Equal(
            "Deployment 'orders' belongs to another developer (dev.meshdev.owner=bob); MeshDev never changes it: use your own 'namespace'",
            Alice.Refusal("Deployment 'orders'", Labels("bob", "0123456789ab"), null));
        Assert.Equal(
            "Deployment 'orders' belongs to another of your meshes (/src/other/meshdev.yaml); stop it with 'meshdev down --purge' there, or give this service another 'namespace'",
            Alice.Refusal("Deployment 'orders'", Labels("alice", "ffffffffffff"), new Dictionary<string, string> { [MeshLabels.ManifestAnnotation] = "/src/other/meshdev.yaml" }));
    }

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("Alice.Smith", "alice-smith")]
    [InlineData("DOMAIN\\bob", "domain-bob")]
    [InlineData("___", "user")]
    public void The_owner_is_the_user_name_as_a_label_value_and_namespace_suffix(string user, string owner)
    {
        Assert.Equal(owner, MeshLabels.OwnerFrom(user));
        Assert.Equal($"meshdev-{owner}", MeshLabels.DefaultNamespace(owner));
    }

    [Fact]
    public void A_very_long_user_name_still_makes_a_valid_namespace()
    {
        var owner = MeshLabels.OwnerFrom(new string('a', 39) + "-" + new string('b', 30));

        Assert.Equal(new string('a', 39), owner);
    }

    private static V1Namespace Namespace(string? owner, string? phase = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "team", Labels = owner is null ? null : new Dictionary<string, string> { [MeshLabels.Owner] = owner } },
        Status = new V1NamespaceStatus { Phase = phase ?? "Active" },
    };

    [Fact]
    public void A_namespace_is_used_only_when_it_is_labelled_as_this_developers_or_adopted()
    {
        DevNamespace.Check(Namespace("alice"), "team", "alice", adopt: false);
        DevNamespace.Check(Namespace(null), "team", "alice", adopt: true);

        var unlabelled = Assert.Throws<LaunchException>(() => DevNamespace.Check(Namespace(null), "team", "alice", adopt: false));
        Assert.Equal(
            "namespace 'team' exists but is not marked as yours (no dev.meshdev.owner=alice label), so MeshDev will not use it; run 'meshdev up --adopt' to take it over (MeshDev then labels it as yours), or set another 'namespace'",
            unlabelled.Message);
        var others = Assert.Throws<LaunchException>(() => DevNamespace.Check(Namespace("bob"), "team", "alice", adopt: true));
        Assert.Equal("namespace 'team' belongs to another developer (dev.meshdev.owner=bob); MeshDev never uses it: set your own 'namespace'", others.Message);
        var terminating = Assert.Throws<LaunchException>(() => DevNamespace.Check(Namespace("alice", "Terminating"), "team", "alice", adopt: false));
        Assert.StartsWith("namespace 'team' is being deleted", terminating.Message);
    }
}
