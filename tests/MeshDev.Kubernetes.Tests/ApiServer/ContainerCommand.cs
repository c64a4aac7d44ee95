using System.Text;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What the kubelet runs for a container of an <see cref="ImageBehaviour.Executes"/> image, by Kubernetes' rules:
/// <c>command</c> replaces the image's entrypoint, <c>args</c> its default args, <c>$(VAR)</c> in both and in env values
/// is expanded from the variables defined before it (<c>$$</c> is a literal <c>$</c>), and the environment is a small
/// base, the image's, then the container's.
/// </summary>
internal sealed record ContainerCommand(
    IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory,
    IReadOnlyDictionary<string, IReadOnlyList<string>> ImageFiles)
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly string[] FieldPaths = ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "status.podIP", "status.hostIP"];

    /// <summary>The command for <paramref name="container"/> of <paramref name="pod"/> (scheduled, with its IP); throws <see cref="ContainerConfigException"/> for what the stand-in cannot provide.</summary>
    public static ContainerCommand For(V1Container container, V1Pod pod, ImageBehaviour.Executing image)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? DefaultPath,
            ["HOSTNAME"] = pod.Metadata.Name,
        };
        foreach (var (name, value) in System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value ?? ""))
            .Where(e => e.Item1 == "HOME" || e.Item1.StartsWith("DOTNET_", StringComparison.Ordinal)))
        {
            environment[name] = value;
        }

        foreach (var (name, value) in image.Environment)
        {
            environment[name] = value;
        }

        if (container.EnvFrom is { Count: > 0 })
        {
            throw new ContainerConfigException("the stand-in does not resolve envFrom (ConfigMaps and Secrets are not emulated): give each variable a plain value in env");
        }

        foreach (var variable in container.Env ?? [])
        {
            environment[variable.Name] = variable.ValueFrom is null
                ? Expand(variable.Value ?? "", environment)
                : FieldValue(variable, pod);
        }

        IEnumerable<string> entrypoint = container.Command is { Count: > 0 } command ? command : image.Entrypoint;
        IEnumerable<string> args = container.Args is { Count: > 0 } given ? given : container.Command is { Count: > 0 } ? [] : image.DefaultArgs;
        var arguments = entrypoint.Concat(args).Select(a => Expand(a, environment)).ToList();
        var workingDirectory = container.WorkingDir is { Length: > 0 } dir && Directory.Exists(dir) ? dir : image.WorkingDirectory;
        return new ContainerCommand(arguments, environment, workingDirectory, image.Files);
    }

    /// <summary>What runs on this machine for an exec (probe or hook) of <paramref name="command"/> in the container.</summary>
    public IReadOnlyList<string> Exec(IReadOnlyList<string> command) =>
        ImageFiles.TryGetValue(command[0], out var local) ? [.. local, .. command.Skip(1)] : command;

    /// <summary>
    /// The executable to start, looked up as the container runtime does (a name through the container's PATH); null with
    /// runc's words when there is none, which the kubelet reports as a <c>StartError</c>.
    /// </summary>
    public string? Executable(out string? problem)
    {
        var name = Arguments[0];
        problem = null;
        if (name.Contains('/'))
        {
            if (File.Exists(name))
            {
                return name;
            }

            problem = Failed($"exec: \"{name}\": stat {name}: no such file or directory");
            return null;
        }

        var found = Environment.GetValueOrDefault("PATH", "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
        if (found is null)
        {
            problem = Failed($"exec: \"{name}\": executable file not found in $PATH");
        }

        return found;
    }

    private static string Failed(string reason) =>
        $"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {reason}: unknown";

    private static string FieldValue(V1EnvVar variable, V1Pod pod)
    {
        var path = variable.ValueFrom.FieldRef?.FieldPath;
        return path switch
        {
            "metadata.name" => pod.Metadata.Name,
            "metadata.namespace" => pod.Metadata.NamespaceProperty,
            "metadata.uid" => pod.Metadata.Uid,
            "spec.nodeName" => pod.Spec.NodeName,
            "status.podIP" => pod.Status.PodIP,
            "status.hostIP" => pod.Status.HostIP,
            _ => throw new ContainerConfigException(
                $"the stand-in resolves env variable {variable.Name} only from a plain value or a fieldRef to {string.Join(", ", FieldPaths)}, " +
                $"not from {Source(variable.ValueFrom)}: give it a plain value"),
        };
    }

    private static string Source(V1EnvVarSource source) =>
        source.FieldRef is { } field ? $"fieldRef {field.FieldPath}"
        : source.SecretKeyRef is not null ? "a secretKeyRef"
        : source.ConfigMapKeyRef is not null ? "a configMapKeyRef"
        : source.ResourceFieldRef is not null ? "a resourceFieldRef"
        : "this valueFrom";

    /// <summary>Kubernetes' <c>$(VAR)</c> expansion: a defined variable's value, an undefined reference left as written, <c>$$</c> a <c>$</c>.</summary>
    internal static string Expand(string text, IReadOnlyDictionary<string, string> environment)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                result.Append(text[i]);
            }
            else if (text[i + 1] == '$')
            {
                result.Append('$');
                i++;
            }
            else if (text[i + 1] == '(' && text.IndexOf(')', i + 2) is var close and > 0)
            {
                var name = text[(i + 2)..close];
                result.Append(environment.TryGetValue(name, out var value) ? value : text[i..(close + 1)]);
                i = close;
            }
            else
            {
                result.Append('$');
            }
        }

        return result.ToString();
    }
}

/// <summary>A container the stand-in cannot configure (the kubelet's <c>CreateContainerConfigError</c>), with what to do.</summary>
internal sealed class ContainerConfigException(string message) : Exception(message);
