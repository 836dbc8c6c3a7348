using Netlab.Labs.Core;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs;

/// <summary>
/// The web half of a lab: its page, how its runs and events are shown, and its own services and
/// endpoints. The host only iterates the registered modules (<see cref="LabModules"/>): the
/// navigation, the run views, the server panel, the runs list and the API never name a lab.
/// </summary>
public interface ILabModule
{
    /// <summary>The lab's protocol half (its definition in Netlab.Labs).</summary>
    LabDefinition Definition { get; }

    /// <summary>The icon of its navigation entry and card (a MudBlazor icon, e.g. Icons.Material.Filled.Dns).</summary>
    string Icon { get; }

    /// <summary>Where its page lives.</summary>
    string Path => $"/labs/{Definition.Id}";

    /// <summary>Services its page and endpoints need (e.g. the FTP consoles).</summary>
    void AddServices(IServiceCollection services) { }

    /// <summary>Its own API endpoints, beyond the generic servers and runs.</summary>
    void MapEndpoints(IEndpointRouteBuilder app) { }

    /// <summary>
    /// The component that shows a run of one of its probes, live or stored (parameters
    /// <c>Run</c> and <c>Ended</c>, as <see cref="Components.Shared.RunEvents"/> takes);
    /// null shows the generic view of the shared events.
    /// </summary>
    Type? RunView(ProbeKind probe) => null;

    /// <summary>
    /// The component that shows what one of its servers saw beyond the shared log (sessions, a
    /// timeline, counters), running or stored: parameters <c>ServerId</c> (Guid) and <c>Events</c>
    /// (<see cref="Servers.ServerEvents"/>: Recent on its live page, All on the server's page).
    /// </summary>
    Type? ServerView => null;

    /// <summary>One line of text for one of its own events; null for events it does not own.</summary>
    string? Describe(LabEvent e) => null;

    /// <summary>A CSS class that colours one of its events by what happened ("echoed", "dropped", "warning").</summary>
    string? CssClass(LabEvent e) => null;

    /// <summary>How its dialogues read: "curl" (> and &lt;) or "swaks" (-> and &lt;-).</summary>
    string TranscriptStyle => "curl";

    /// <summary>The one line a finished run shows in the runs list (what matters for its probe); null = the summary's first line.</summary>
    string? ResultLine(RunDto run) => null;
}

/// <summary>Reading a stored run's summary values.</summary>
public static class RunSummary
{
    public static double? Value(this RunDto run, string name) =>
        run.Summary?[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    public static string Number(double? value) => value?.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) ?? "?";
}
