using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Accounts;
using Netlab.Web.Grading;
using Netlab.Web.Servers;

namespace Netlab.Web.Api;

/// <summary>Assignments: staff create and edit them; everyone lists them; students start their server and submit.</summary>
public static class AssignmentsApi
{
    public static RouteGroupBuilder MapAssignmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/assignments").WithTags("Assignments");
        api.MapGet("/", (GradingService grading, CancellationToken ct) => grading.ListAsync(ct))
            .WithSummary("Every assignment, soonest due first.");
        api.MapPost("/", async Task<Created<AssignmentDto>> ([FromBody] AssignmentRequest request, HttpContext http, GradingService grading, CancellationToken ct) =>
            {
                var created = await grading.CreateAsync(request, Viewer.Of(http.User), ct);
                return TypedResults.Created($"/api/assignments/{created.Id}", created);
            })
            .RequireAuthorization(AccountsSetup.Staff)
            .WithSummary("(staff) Creates an assignment: title, lab, grader (a probe of the lab) and its options, target (student-server or student-client), points, dueAt, latePenaltyPercent, acceptLate, attempts (0 = any), counts (best or last), details (always or afterDue).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/{id:guid}", (Guid id, GradingService grading, CancellationToken ct) => grading.GetAsync(id, ct))
            .WithSummary("One assignment.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id:guid}", (Guid id, [FromBody] AssignmentRequest request, HttpContext http, GradingService grading, CancellationToken ct) =>
                grading.UpdateAsync(id, request, Viewer.Of(http.User), ct))
            .RequireAuthorization(AccountsSetup.Staff)
            .WithSummary("(staff) Changes an assignment; fields left out stay as they are. Submissions keep their scores.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id:guid}", async Task<NoContent> (Guid id, HttpContext http, GradingService grading, CancellationToken ct) =>
            {
                await grading.DeleteAsync(id, Viewer.Of(http.User), ct);
                return TypedResults.NoContent();
            })
            .RequireAuthorization(AccountsSetup.Staff)
            .WithSummary("(staff) Deletes an assignment and its submissions; the graded runs stay in the runs list.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/servers", async Task<Created<ServerDto>> (Guid id, HttpContext http, GradingService grading, CancellationToken ct) =>
            {
                var server = await grading.StartServerAsync(id, Viewer.Of(http.User), ct);
                return TypedResults.Created($"/api/servers/{server.Id}", server);
            })
            .WithSummary("Starts the assignment lab's Netlab server for you (a student-client assignment): point your client at its port, then submit with its id.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/{id:guid}/submissions", async Task<Accepted<SubmissionDto>> (Guid id, [FromBody] SubmitRequest request, HttpContext http, GradingService grading, CancellationToken ct) =>
            {
                var submission = await grading.SubmitAsync(id, request, Viewer.Of(http.User), ct);
                return TypedResults.Accepted($"/api/submissions/{submission.Id}", submission);
            })
            .WithSummary("Submits: {\"target\":{\"host\",\"port\"}} (your server) or {\"serverId\"} (the Netlab server your client talked to). 202 with the submission and its runId; score, late and checks once graded. 409 past the attempts or past a due date that takes no late work.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}/submissions", (Guid id, HttpContext http, GradingService grading, CancellationToken ct) =>
                grading.SubmissionsAsync(id, Viewer.Of(http.User), ct))
            .WithSummary("The assignment's submissions, newest first: everyone's for staff, your own for a student.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
