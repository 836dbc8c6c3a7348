using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Data;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;
using Netlab.Web.ScaleOut;

namespace Netlab.Web.Api;

public static class RunsApi
{
    public static RouteGroupBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").WithTags("Runs");
        api.MapPost("/", StartAsync)
            .WithSummary("Starts a probe run in the background; follow it with /events/stream or the /hubs/runs hub.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync)
            .WithSummary("Your runs (everyone's for instructors and admins, with the owner), newest first, optionally filtered by lab, status and (staff) owner id.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/{id:guid}", (Guid id, HttpContext http, RunStore store, CancellationToken ct) => store.GetAsync(id, Viewer.Of(http.User), ct))
            .WithSummary("One run: status (Running, Succeeded, Failed, Cancelled, Interrupted) and summary.")
            .Produces<RunDto>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/events", EventsAsync)
            .WithSummary("The run's events in order, each with seq, timestamp, kind and its fields.")
            .Produces<LabEvent[]>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/events/stream", StreamAsync)
            .WithSummary("The run's events as Server-Sent Events (event type = kind, id = seq), live until the run ends.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/pause", (Guid id, HttpContext http, RunCoordinator coordinator, RunStore store, CancellationToken ct) => PauseAsync(id, true, Viewer.Of(http.User), coordinator, store, ct))
            .WithSummary("Pauses a run that can be paused (the heartbeat client): it stops sending until resumed.")
            .ForwardToOwner(FeedSource.Run)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id:guid}/resume", (Guid id, HttpContext http, RunCoordinator coordinator, RunStore store, CancellationToken ct) => PauseAsync(id, false, Viewer.Of(http.User), coordinator, store, ct))
            .WithSummary("Resumes a paused run.")
            .ForwardToOwner(FeedSource.Run)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/{id:guid}", async Task<NoContent> (Guid id, HttpContext http, RunStore store, CancellationToken ct) =>
            {
                await store.DeleteAsync(id, Viewer.Of(http.User), ct);
                return TypedResults.NoContent();
            })
            .WithSummary("Deletes a finished run and its events (yours, or anyone's for staff). 409 while it runs.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id:guid}/cancel", CancelAsync)
            .WithSummary("Cancels a running run. 409 when it is not running.")
            .ForwardToOwner(FeedSource.Run)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<Accepted<RunDto>> StartAsync([FromBody] StartRunRequest request, HttpContext http, RunCoordinator coordinator, CancellationToken cancellationToken)
    {
        var run = await coordinator.StartAsync(request, Viewer.Of(http.User), cancellationToken);
        return TypedResults.Accepted($"/api/runs/{run.Id}", run);
    }

    private static async Task<Ok<IReadOnlyList<RunDto>>> ListAsync(RunStore store, HttpContext http, CancellationToken cancellationToken,
        string? lab = null, RunStatus? status = null, int limit = 100, string? owner = null)
    {
        if (limit is < 1 or > 1000)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000."] });
        return TypedResults.Ok(await store.ListAsync(new RunQuery(lab, status, Take: limit, Owner: owner), Viewer.Of(http.User), cancellationToken));
    }

    private static async Task<IResult> EventsAsync(Guid id, HttpContext http, RunStore store, CancellationToken cancellationToken)
    {
        await store.GetAsync(id, Viewer.Of(http.User), cancellationToken);
        // Stored JSON is written as is: it already has the shape every consumer reads.
        var events = await store.StoredEventsAsync(id, cancellationToken);
        return Results.Text("[" + string.Join(",", events) + "]", "application/json");
    }

    private static async Task<IResult> StreamAsync(Guid id, HttpContext http, RunStore store, CancellationToken cancellationToken)
    {
        await store.GetAsync(id, Viewer.Of(http.User), cancellationToken); // 404 before the stream starts
        return TypedResults.ServerSentEvents(Items(store.FollowAsync(id, cancellationToken)));

        // The event's JSON as a string is written as is: serialized once (an element would be serialized, parsed and written again).
        static async IAsyncEnumerable<SseItem<string>> Items(IAsyncEnumerable<LabEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var e in events.WithCancellation(cancellationToken))
                yield return new SseItem<string>(LabJson.Serialize(e), LabJson.KindOf(e)) { EventId = e.Seq.ToString() };
        }
    }

    private static async Task<Ok<RunDto>> PauseAsync(Guid id, bool pause, Viewer viewer, RunCoordinator coordinator, RunStore store, CancellationToken cancellationToken)
    {
        var run = await store.GetAsync(id, viewer, cancellationToken);
        coordinator.SetPaused(id, pause);
        return TypedResults.Ok(run);
    }

    private static async Task<Accepted<RunDto>> CancelAsync(Guid id, HttpContext http, RunCoordinator coordinator, RunStore store, CancellationToken cancellationToken)
    {
        var run = await store.GetAsync(id, Viewer.Of(http.User), cancellationToken);
        if (!coordinator.Cancel(id))
            throw new ProblemException(StatusCodes.Status409Conflict, "Run not running", $"Run {id} is {run.Status}; only a running run can be cancelled.");
        return TypedResults.Accepted($"/api/runs/{id}", run);
    }
}
