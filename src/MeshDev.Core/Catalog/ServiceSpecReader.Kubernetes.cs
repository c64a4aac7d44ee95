using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace MeshDev.Catalog;

/// <summary>The fields of <c>runtime: kubernetes</c> services.</summary>
internal sealed partial class ServiceSpecReader
{
    private void CheckKubernetesFields()
    {
        foreach (var key in new[] { "url", "project" })
        {
            if (_section.KeyNode(key) is { } node)
            {
                Report(node, $"{_section.Describe(key)} does not apply to runtime kubernetes{(key == "project" ? "; build an image and set 'image'" : "")}");
            }
        }

        var hasImage = _section.Has("image");
        var hasManifests = _section.Has("manifests");
        if (!hasImage && !hasManifests)
        {
            Report(_nameNode, $"service '{_name}' has runtime kubernetes and needs 'image' (MeshDev generates the Deployment) or 'manifests' (your own files)");
        }
        else if (hasImage && hasManifests)
        {
            Report(_section.KeyNode("manifests")!, $"service '{_name}' has both 'image' and 'manifests'; keep one (the image of your own manifests is set in them)");
        }

        // The generated Service is named after the service, and Service names are DNS-1035 labels: a leading digit,
        // fine for the service name, gets a 422 from the API server at the first call.
        if (hasImage && !hasManifests && ManifestValues.IsValidServiceName(_name) && char.IsAsciiDigit(_name[0]))
        {
            Report(_nameNode, $"service '{_name}' runs in Kubernetes, whose Service names must start with a letter, and MeshDev names its Service after the service: rename it to start with a letter, or give it your own 'manifests'");
        }

        if (_section.KeyNode("deployment") is { } deployment && !hasManifests)
        {
            Report(deployment, $"{_section.Describe("deployment")} names a Deployment of your 'manifests'; without them MeshDev generates one named after the service");
        }

        if (!_section.Has("port"))
        {
            Report(_nameNode, $"service '{_name}' has runtime kubernetes and needs 'port': the port the app listens on in its pod");
        }
    }

    private KubernetesSpec ReadKubernetes() => new()
    {
        Image = ReadImage(),
        Context = NonBlankText("context")?.Value,
        Namespace = ReadNamespace(),
        Manifests = ReadManifests(),
        Deployment = ReadDnsName("deployment", "a Deployment name"),
        RunAsNonRoot = _section.Bool("runAsNonRoot") ?? true,
        WorkingDir = ReadContainerWorkingDir(),
    };

    /// <summary>A pod's port: a number (the pod's own), never auto — the mesh cannot choose a port inside a pod.</summary>
    private Located<int>? ReadPodPort()
    {
        const string Expected = "the number the app listens on in its pod (1 to 65535)";
        if (_section.Scalar("port", Expected) is not { } node)
        {
            return null;
        }

        if (node.Value != "auto" && ManifestValues.TryParsePort(node.Value!, out var port))
        {
            return new Located<int>(port, _diagnostics.At(node));
        }

        Report(node, $"{_section.Describe("port")} must be {Expected}");
        return null;
    }

    private string? ReadNamespace() => ReadDnsName("namespace", "a namespace name");

    private string? ReadDnsName(string key, string what)
    {
        if (NonBlankText(key) is not { Value: { } name } node)
        {
            return null;
        }

        if (name.Length > 63 || !DnsLabelPattern().IsMatch(name))
        {
            Report(node, $"{_section.Describe(key)} must be {what}: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters");
            return null;
        }

        return name;
    }

    private ImmutableArray<string> ReadManifests()
    {
        var files = ImmutableArray.CreateBuilder<string>();
        foreach (var node in _section.Strings("manifests"))
        {
            var path = Path.GetFullPath(ExpandHome(node.Value!), _manifestDirectory);
            if (!File.Exists(path))
            {
                Report(node, $"manifest file '{node.Value}' of service '{_name}' does not exist: {path}");
                continue;
            }

            files.Add(path);
        }

        return files.ToImmutable();
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex DnsLabelPattern();
}
