using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Data;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.ScaleOut;
using Netlab.Web.Servers;

namespace Netlab.Web.Api;

public static class ServersApi
{
    public static RouteGroupBuilder MapServersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/servers").WithTags("Servers").RequireServerAccess();
        api.MapGet("/", ListAsync)
            .WithSummary("Your lab servers running in the portal (everyone's for instructors and admins, with the owner); with ?all=true or ?state= (Running, Stopped, Faulted, Interrupted), the stored ones, newest first (lab, owner (a user id, staff) and limit filter them; limit 1-1000, default 100).");
        api.MapPost("/", StartAsync)
            .WithSummary("Starts a lab server. Port 0 picks a free port; the bound port is in the response. 429 past your limit of running servers.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/{id:guid}", (Guid id, HttpContext http, ServerStore store, CancellationToken ct) => store.GetAsync(id, Viewer.Of(http.User), ct))
            .WithSummary("One lab server, running or stored: state (Running, Faulted with its reason, Stopped, Interrupted), port, stoppedAt.")
            .Produces<ServerDto>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ServedByAnyInstance();
        api.MapGet("/{id:guid}/events", EventsAsync)
            .WithSummary($"The server's stored events in order (what it received and did), a page at a time: those with seq > afterSeq (default 0), at most limit (default {ServerStore.DefaultPage}, at most {ServerStore.MaxPage}). Ask again with afterSeq = the last seq until a page is short.")
            .Produces<LabEvent[]>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ServedByAnyInstance();
        api.MapGet("/{id:guid}/events/stream", StreamAsync)
            .WithSummary("The server's events as Server-Sent Events (event type = kind, id = seq) from the first (or after afterSeq / Last-Event-ID), live until it stops.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ServedByAnyInstance();
        api.MapPost("/{id:guid}/reload", ReloadAsync)
            .WithSummary("Reloads a server's content without a restart (the DNS zone file). 409 when the server is stopped.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/{id:guid}", StopAsync)
            .WithSummary("Stops a running lab server; its record and events are kept. 409 when it is already stopped.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<Ok<IReadOnlyList<ServerDto>>> ListAsync(ServerStore store, HttpContext http, CancellationToken cancellationToken,
        bool all = false, ServerStatus? state = null, string? lab = null, int limit = 100, string? owner = null)
    {
        if (limit is < 1 or > 1000)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000."] });
        var viewer = Viewer.Of(http.User);
        if (!all && state is null)
            return TypedResults.Ok<IReadOnlyList<ServerDto>>([.. (await store.RunningAsync(viewer, cancellationToken)).Where(s => (lab is null || s.Lab == lab) && (owner is null || s.OwnerId == owner)).Take(limit)]);
        return TypedResults.Ok(await store.ListAsync(lab, state, limit, viewer, cancellationToken, owner));
    }

    private static async Task<Created<ServerDto>> StartAsync([FromBody] StartServerRequest request, HttpContext http, ServerManager servers, CancellationToken cancellationToken)
    {
        var server = await servers.StartAsync(request, Viewer.Of(http.User), cancellationToken);
        return TypedResults.Created($"/api/servers/{server.Id}", server);
    }

    private static async Task<IResult> EventsAsync(Guid id, ServerStore store, CancellationToken cancellationToken, long afterSeq = 0, int limit = ServerStore.DefaultPage)
    {
        if (limit is < 1 or > ServerStore.MaxPage)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {ServerStore.MaxPage}."] });
        // Stored JSON is written as is: it already has the shape every consumer reads.
        var events = await store.EventsJsonAsync(id, afterSeq, limit, cancellationToken);
        return Results.Text("[" + string.Join(",", events) + "]", "application/json");
    }

    private static async Task<IResult> StreamAsync(Guid id, ServerStore store, HttpRequest request, CancellationToken cancellationToken, long afterSeq = 0)
    {
        await store.LoadAsync(id, cancellationToken); // 404 before the stream starts (access was checked by the group)
        // A reconnecting EventSource says where it was.
        if (long.TryParse(request.Headers["Last-Event-ID"], out var resumed))
            afterSeq = Math.Max(afterSeq, resumed);
        return TypedResults.ServerSentEvents(Items(store.FollowAsync(id, ServerEvents.All, cancellationToken, afterSeq)));

        static async IAsyncEnumerable<SseItem<JsonElement>> Items(IAsyncEnumerable<LabEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var e in events.WithCancellation(cancellationToken))
                yield return new SseItem<JsonElement>(LabJson.ToElement(e), LabJson.KindOf(e)) { EventId = e.Seq.ToString() };
        }
    }

    private static async Task<Ok<object>> ReloadAsync(Guid id, ServerManager servers, ServerStore store, CancellationToken cancellationToken)
    {
        var server = await store.LoadAsync(id, cancellationToken);
        if (!server.IsLive)
            throw ServerManager.NotRunning(server);
        return TypedResults.Ok<object>(new { message = servers.Reload(id) });
    }

    private static async Task<NoContent> StopAsync(Guid id, ServerManager servers)
    {
        await servers.StopAsync(id);
        return TypedResults.NoContent();
    }
}
