using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>The npm @microsoft/signalr client (tests/hub-client/hub-client.mjs) against any portal address.</summary>
public static class HubClient
{
    private static string Directory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.Directory.Exists(Path.Combine(dir.FullName, "tests", "hub-client")))
            dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("tests/hub-client not found above " + AppContext.BaseDirectory), "tests", "hub-client");
        Assert.True(System.IO.Directory.Exists(Path.Combine(path, "node_modules", "@microsoft", "signalr")), "Run `npm ci` in tests/hub-client first (.ci/run does).");
        return path;
    }

    /// <summary>Runs the client in a mode ("stream", "group"); <paramref name="whenJoined"/> runs at its first live event; returns its result line.</summary>
    public static async Task<JsonNode> RunAsync(Uri portal, string mode, string runId, Func<Task>? whenJoined = null, string? key = TestAccounts.AdminKey)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = Directory(), RedirectStandardOutput = true, RedirectStandardError = true };
        if (key is not null)
            info.Environment["NETLAB_API_KEY"] = key;
        info.ArgumentList.Add("hub-client.mjs");
        info.ArgumentList.Add(portal.ToString());
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(runId);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        JsonNode? result = null;
        // The client gives up by itself after a minute, so this loop always ends.
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            var node = JsonNode.Parse(line)!;
            if (node is JsonObject note && note["joined"] is not null)
            {
                if (whenJoined is not null) await whenJoined();
            }
            else
            {
                result = node;
            }
        }
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
        Assert.False(result is JsonObject o && o["error"] is not null, result?.ToJsonString());
        return result ?? throw new InvalidOperationException("the hub client printed no result: " + await error);
    }
}
