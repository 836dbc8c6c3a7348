using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Netlab.Web.Hosting;

/// <summary>
/// A request the user can fix (unknown lab, option out of range, port in use, target not
/// allowed). The API answers it as ProblemDetails with <see cref="Status"/>; the UI shows
/// <see cref="Message"/> as a notification. Never a stack trace.
/// </summary>
public sealed class ProblemException(int status, string title, string detail,
    IDictionary<string, string[]>? errors = null, IDictionary<string, object?>? extensions = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public IDictionary<string, string[]>? Errors { get; } = errors;
    public IDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();

    public static ProblemException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemException NotFound(string what, object id) => new(StatusCodes.Status404NotFound, "Not found", $"No {what} with id {id}.");

    public static ProblemException Invalid(IDictionary<string, string[]> errors) => new(StatusCodes.Status400BadRequest,
        "Invalid options", string.Join(" ", errors.SelectMany(e => e.Value)), errors);

    public ProblemDetails ToProblemDetails()
    {
        ProblemDetails problem = Errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(Errors);
        problem.Status = Status;
        problem.Title = Title;
        problem.Detail = Message;
        foreach (var (key, value) in Extensions)
            problem.Extensions[key] = value;
        return problem;
    }
}

/// <summary>Turns <see cref="ProblemException"/> and request-binding failures into ProblemDetails responses.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException bad)
        {
            // e.g. 'Failed to bind parameter "RunStatus? status" from "Bogus".', plus the JSON reader's reason.
            var detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
            exception = new ProblemException(bad.StatusCode, "Bad request", detail);
        }
        if (exception is not ProblemException problem)
            return false;
        httpContext.Response.StatusCode = problem.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem.ToProblemDetails(),
            Exception = exception,
        });
    }
}
