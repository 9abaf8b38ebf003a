// Open MPI's handles and constants are macros Swift cannot import; these one-line functions hand them over.
#include <mpi.h>

static inline MPI_Comm petal_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype petal_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype petal_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype petal_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype petal_mpi_int(void) { return MPI_INT; }
static inline MPI_Op petal_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op petal_mpi_max(void) { return MPI_MAX; }
static inline void *petal_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *petal_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler petal_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request petal_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline int petal_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int petal_mpi_success(void) { return MPI_SUCCESS; }
static inline int petal_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int petal_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
