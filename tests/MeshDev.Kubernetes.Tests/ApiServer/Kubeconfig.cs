using System.Text;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>A kubeconfig file for the stand-in, as a user's would look: one cluster, one token user, one context.</summary>
internal static class Kubeconfig
{
    public static string Render(Uri server, string token, string contextName, string? @namespace)
    {
        var yaml = new StringBuilder()
            .AppendLine("apiVersion: v1")
            .AppendLine("kind: Config")
            .AppendLine("preferences: {}")
            .AppendLine("clusters:")
            .AppendLine($"- name: {Quote(contextName)}")
            .AppendLine("  cluster:")
            .AppendLine($"    server: {Quote(server.GetLeftPart(UriPartial.Authority))}")
            .AppendLine("users:")
            .AppendLine($"- name: {Quote($"{contextName}-user")}")
            .AppendLine("  user:")
            .AppendLine($"    token: {Quote(token)}")
            .AppendLine("contexts:")
            .AppendLine($"- name: {Quote(contextName)}")
            .AppendLine("  context:")
            .AppendLine($"    cluster: {Quote(contextName)}")
            .AppendLine($"    user: {Quote($"{contextName}-user")}");
        if (@namespace is not null)
        {
            yaml.AppendLine($"    namespace: {Quote(@namespace)}");
        }

        return yaml.AppendLine($"current-context: {Quote(contextName)}").ToString();
    }

    public static void Write(string path, string content)
    {
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            // It holds a token: like kubectl, keep it to its owner.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static string Quote(string value) => $"'{value.Replace("'", "''")}'";
}
