using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

/// <summary>
/// The API tests share one portal (on a real port, for the node hub client): starting a portal
/// and migrating its database per test was most of this project's time. Tests in the collection
/// run one at a time; each sees other tests' stored runs, so assertions look at the ids a test
/// created, never at whole lists. Tests that need an empty database or a restart
/// (<see cref="PersistenceTests"/>) have portals of their own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPortalCollection : ICollectionFixture<SharedPortal>
{
    public const string Name = "Shared portal";
}

public sealed class SharedPortal : IAsyncLifetime
{
    public NetlabFactory Factory { get; } = new();
    public HttpClient Client { get; private set; } = default!;

    public Task InitializeAsync()
    {
        Factory.UseKestrel(0);
        Factory.StartServer();
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Factory.DisposeAsync();
    }
}

/// <summary>
/// A test on the shared portal. Its teardown cancels the runs it left running and stops the
/// servers it started (tests in the collection run one at a time, so those are the ones that
/// appeared since it began), whether it passed or not.
/// </summary>
[Collection(SharedPortalCollection.Name)]
public abstract class PortalTest(SharedPortal portal) : IAsyncLifetime
{
    private HashSet<string> serversBefore = [];
    private HashSet<string> runningBefore = [];

    protected NetlabFactory Factory => portal.Factory;
    protected HttpClient Client => portal.Client;

    public virtual async Task InitializeAsync()
    {
        serversBefore = await ServerIdsAsync();
        runningBefore = await RunningRunIdsAsync();
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var id in (await RunningRunIdsAsync()).Except(runningBefore))
            await Client.PostAsync($"/api/runs/{id}/cancel", null); // 409 if it ended meanwhile: fine
        await Eventually.UntilAsync(async () => !(await RunningRunIdsAsync()).Except(runningBefore).Any(), "the test's runs to end");
        foreach (var id in (await ServerIdsAsync()).Except(serversBefore))
        {
            var stopped = await Client.DeleteAsync($"/api/servers/{id}");
            Assert.True(stopped.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"stopping server {id}: {stopped.StatusCode}");
        }
    }

    protected async Task<HashSet<string>> ServerIdsAsync() =>
        [.. (await Client.GetFromJsonAsync<JsonArray>("/api/servers"))!.Select(s => (string)s!["id"]!)];

    private async Task<HashSet<string>> RunningRunIdsAsync() =>
        [.. (await Client.GetFromJsonAsync<JsonArray>("/api/runs?status=Running&limit=1000"))!.Select(r => (string)r!["id"]!)];
}
