using MudBlazor;
using Netlab.Data;
using Netlab.Web.Servers;

namespace Netlab.Web.Components.Shared;

/// <summary>How a server's state and counts read wherever a server is shown.</summary>
public static class ServerFacts
{
    public static Color StateColor(ServerStatus state) => state switch
    {
        ServerStatus.Running => Color.Success,
        ServerStatus.Faulted => Color.Error,
        ServerStatus.Interrupted => Color.Warning,
        _ => Color.Default,
    };

    public static string DroppedText(ServerDto server) =>
        $"{server.DroppedEvents:N0} event(s) were not stored: past the per-server limit (Netlab:Servers:MaxStoredEventsPerServer), or emitted faster than they could be recorded. The live log still showed them; the record keeps the first {server.EventCount:N0}.";
}
