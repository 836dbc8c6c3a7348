using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Accounts;
using Netlab.Web.Grading;

namespace Netlab.Web.Api;

/// <summary>One submission: its owner (or staff) reads it; staff override its score and regrade it.</summary>
public static class SubmissionsApi
{
    public static RouteGroupBuilder MapSubmissionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/submissions").WithTags("Submissions");
        api.MapGet("/{id:guid}", (Guid id, HttpContext http, GradingService grading, CancellationToken ct) => grading.GetSubmissionAsync(id, Viewer.Of(http.User), ct))
            .WithSummary("One submission: status (Grading, Graded, Failed), score, late, checks (as the assignment's visibility allows). Someone else's is 404.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id:guid}/override", ([FromBody] OverrideRequest request, Guid id, HttpContext http, GradingService grading, CancellationToken ct) =>
                grading.OverrideAsync(id, request, Viewer.Of(http.User), ct))
            .RequireAuthorization(AccountsSetup.Staff)
            .WithSummary("(staff) {\"score\",\"comment\"}: the score that counts instead of the grader's (both kept); a null score removes the override.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/regrade", async Task<Accepted<SubmissionDto>> (Guid id, HttpContext http, GradingService grading, CancellationToken ct) =>
            {
                var submission = await grading.RegradeAsync(id, Viewer.Of(http.User), ct);
                return TypedResults.Accepted($"/api/submissions/{id}", submission);
            })
            .RequireAuthorization(AccountsSetup.Staff)
            .WithSummary("(staff) Runs the grader again (against the student's server, or on the stored server session); the submission gets the new run and score.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
