using System.Text;

namespace MeshDev.Daemon.Dashboard;

/// <summary>
/// The dashboard page: one HTML document (<c>dashboard.html</c>, embedded in this assembly), its CSS and script inline,
/// no framework and nothing fetched from elsewhere (the daemon serves everything; the machine may be offline). The script
/// listens to <c>/dashboard/events</c> and redraws the services, the call graph (SVG, a layered layout computed there) and
/// the recent requests from each snapshot. Text from the mesh (names, paths, errors) only ever goes into text nodes and
/// attributes, never parsed as markup. <c>{{nonce}}</c> is replaced per response (see the page's Content-Security-Policy).
/// </summary>
internal static class DashboardPage
{
    /// <summary>The resource's name (its LogicalName in MeshDev.Daemon.csproj).</summary>
    private const string ResourceName = "dashboard.html";

    /// <summary>The page as the file holds it, read once: every response only substitutes its nonce.</summary>
    public static readonly string Html = Load();

    private static string Load()
    {
        using var stream = typeof(DashboardPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(DashboardPage).Assembly.GetName().Name}; rebuild MeshDev.Daemon.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
