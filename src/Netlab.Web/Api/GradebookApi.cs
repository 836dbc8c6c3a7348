using Netlab.Web.Accounts;
using Netlab.Web.Grading;

namespace Netlab.Web.Api;

/// <summary>The gradebook: students down, assignments across (a student gets only their own row).</summary>
public static class GradebookApi
{
    public static IEndpointRouteBuilder MapGradebookApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/gradebook", (HttpContext http, GradingService grading, CancellationToken ct) => grading.GradebookAsync(Viewer.Of(http.User), ct))
            .WithTags("Gradebook")
            .WithSummary("Each student's counting score per assignment (late marked, overrides flagged, with the submission and run), and their total.");
        app.MapGet("/api/gradebook.csv", async (HttpContext http, GradingService grading, CancellationToken ct) =>
                Results.File(System.Text.Encoding.UTF8.GetBytes(GradingService.ToCsv(await grading.GradebookAsync(Viewer.Of(http.User), ct))),
                    "text/csv; charset=utf-8", "gradebook.csv"))
            .WithTags("Gradebook")
            .WithSummary("The gradebook as CSV: one row per student, email, name, each assignment's score, total.");
        return app;
    }
}
