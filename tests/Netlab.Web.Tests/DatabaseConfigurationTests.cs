using System.Net;
using System.Net.Sockets;

namespace Netlab.Web.Tests;

/// <summary>
/// Database settings that cannot work stop the portal at start with one line saying what to change
/// (exit 2), never a stack trace. (Left out of the PostgreSQL build: they set the provider themselves.)
/// </summary>
public class DatabaseConfigurationTests
{
    private static async Task<PortalExitedException> RefusedAsync(Dictionary<string, string> environment)
    {
        var refused = await Assert.ThrowsAsync<PortalExitedException>(() => PortalProcess.StartAsync(NetlabFactory.NewDataDirectory(), environment: environment));
        Assert.Equal(2, refused.ExitCode);
        Assert.DoesNotContain("   at ", refused.Output); // no stack trace
        return refused;
    }

    [Fact]
    public async Task An_unknown_provider_is_refused_naming_the_two_there_are()
    {
        var refused = await RefusedAsync(new() { ["Netlab__Database__Provider"] = "Oracle" });
        Assert.Contains("Netlab:Database:Provider is \"Oracle\"; it must be Sqlite (the default) or Postgres.", refused.Output);
    }

    [Fact]
    public async Task Postgres_without_a_connection_string_is_refused_saying_which_setting_to_set()
    {
        var refused = await RefusedAsync(new() { ["Netlab__Database__Provider"] = "Postgres" });
        Assert.Contains("ConnectionStrings:Netlab is not set", refused.Output);
    }

    [Fact]
    public async Task A_connection_string_with_the_sqlite_default_is_refused_rather_than_ignored()
    {
        var refused = await RefusedAsync(new() { ["ConnectionStrings__Netlab"] = "Host=db.example;Database=netlab" });
        Assert.Contains("ConnectionStrings:Netlab is set but Netlab:Database:Provider is Sqlite", refused.Output);
    }

    [Fact]
    public async Task A_postgres_server_that_does_not_answer_is_one_line_naming_the_database_and_the_setting()
    {
        // A peer that accepts and hangs up at once: whatever Npgsql says, the portal must not start.
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        var port = ((IPEndPoint)peer.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var hangUp = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                (await peer.AcceptSocketAsync(stop.Token)).Dispose();
        });
        var refused = await RefusedAsync(new()
        {
            ["Netlab__Database__Provider"] = "Postgres",
            ["ConnectionStrings__Netlab"] = $"Host=127.0.0.1;Port={port};Database=netlab;Username=netlab;Password=secret-password",
        });
        Assert.Contains($"The PostgreSQL database \"netlab\" on 127.0.0.1:{port} cannot be used", refused.Output);
        Assert.Contains("Check ConnectionStrings:Netlab", refused.Output);
        Assert.DoesNotContain("secret-password", refused.Output);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hangUp);
    }
}
