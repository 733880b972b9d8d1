/* One folder's listing for add_dir, with a stat of every entry, outside the GIL.
 *
 * Re-adding an unchanged folder of 100,000 files is bound by listing and stat-ing them. Done
 * with os.scandir, every file costs a DirEntry, a stat_result and a few Python calls (0.31 s
 * at 100,000 files here, more than the kernel's share); done here, the per-file work stays in
 * C and runs without the GIL, so walk.py lists folders on two threads while Python builds
 * the entries of the folders listed before.
 *
 * Python API (module artifact_gui.core._listing, POSIX only):
 *   list_folder(path: str) -> (file_names, file_stats, subfolders) or None
 *     file_names   list[str], the entries that are not folders, sorted by name (UTF-8 byte
 *                  order, which is code point order: Python's sort of the same names)
 *     file_stats   bytes, per file four native int64s: inode, size, mtime_ns, ctime_ns
 *                  (hashcache.py's layout)
 *     subfolders   list[(name, st_dev, st_ino)] sorted by name
 *   Every entry is stat'ed following symlinks, as os.scandir's is_dir()/stat() do.
 *   None: something walk.py's Python listing must handle, and word for the user: the folder
 *   cannot be opened or read, a stat fails (a dangling link, a file gone meanwhile), an entry
 *   is neither a folder nor a regular file (a named pipe, a device, a socket), a name is not
 *   UTF-8, an inode does not fit an int64. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __APPLE__
#define MTIME(st) ((st).st_mtimespec)
#define CTIME(st) ((st).st_ctimespec)
#else
#define MTIME(st) ((st).st_mtim)
#define CTIME(st) ((st).st_ctim)
#endif

typedef struct {
    char *name;
    int is_folder;
    uint64_t dev;
    uint64_t inode;
    int64_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
} Item;

enum { LISTED, NEEDS_PYTHON, NO_MEMORY };

static int by_name(const void *a, const void *b) {
    return strcmp(((const Item *)a)->name, ((const Item *)b)->name); /* as unsigned chars */
}

static void free_items(Item *items, size_t count) {
    for (size_t i = 0; i < count; i++)
        free(items[i].name);
    free(items);
}

/* Without the GIL: every entry but . and .., stat'ed, sorted by name. */
static int read_folder(const char *path, Item **items_out, size_t *count_out) {
    int folder_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder_fd < 0)
        return NEEDS_PYTHON;
    DIR *folder = fdopendir(folder_fd);
    if (folder == NULL) {
        close(folder_fd);
        return NEEDS_PYTHON;
    }
    size_t capacity = 64, count = 0;
    Item *items = malloc(capacity * sizeof *items);
    int status = items == NULL ? NO_MEMORY : LISTED;
    while (status == LISTED) {
        errno = 0;
        struct dirent *entry = readdir(folder);
        if (entry == NULL) {
            if (errno != 0)
                status = NEEDS_PYTHON;
            break;
        }
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        if (count == capacity) {
            Item *grown = realloc(items, 2 * capacity * sizeof *items);
            if (grown == NULL) {
                status = NO_MEMORY;
                break;
            }
            items = grown;
            capacity *= 2;
        }
        struct stat st;
        if (fstatat(folder_fd, name, &st, 0) != 0 || (uint64_t)st.st_ino > INT64_MAX ||
            !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
            status = NEEDS_PYTHON;
            break;
        }
        Item *item = &items[count];
        item->name = strdup(name);
        if (item->name == NULL) {
            status = NO_MEMORY;
            break;
        }
        count++;
        item->is_folder = S_ISDIR(st.st_mode);
        item->dev = (uint64_t)st.st_dev;
        item->inode = (uint64_t)st.st_ino;
        item->size = (int64_t)st.st_size;
        item->mtime_ns = (int64_t)MTIME(st).tv_sec * 1000000000 + MTIME(st).tv_nsec;
        item->ctime_ns = (int64_t)CTIME(st).tv_sec * 1000000000 + CTIME(st).tv_nsec;
    }
    closedir(folder); /* closes folder_fd */
    if (status != LISTED) {
        if (items != NULL)
            free_items(items, count);
        return status;
    }
    qsort(items, count, sizeof *items, by_name);
    *items_out = items;
    *count_out = count;
    return LISTED;
}

/* With the GIL: the Python tuple, or Py_None (a name that is not UTF-8), or NULL (no memory). */
static PyObject *as_python(const Item *items, size_t count) {
    size_t files = 0;
    for (size_t i = 0; i < count; i++)
        files += !items[i].is_folder;
    PyObject *names = PyList_New((Py_ssize_t)files);
    PyObject *subfolders = PyList_New(0);
    PyObject *stats = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(files * 4 * sizeof(int64_t)));
    if (names == NULL || subfolders == NULL || stats == NULL)
        goto fail;
    int64_t *record = (int64_t *)PyBytes_AS_STRING(stats);
    Py_ssize_t file = 0;
    for (size_t i = 0; i < count; i++) {
        const Item *item = &items[i];
        PyObject *name = PyUnicode_DecodeUTF8(item->name, (Py_ssize_t)strlen(item->name), NULL);
        if (name == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
                goto fail;
            PyErr_Clear();
            Py_DECREF(names);
            Py_DECREF(subfolders);
            Py_DECREF(stats);
            Py_RETURN_NONE;
        }
        if (item->is_folder) {
            PyObject *subfolder = Py_BuildValue("(NKK)", name, (unsigned long long)item->dev,
                                                (unsigned long long)item->inode);
            if (subfolder == NULL || PyList_Append(subfolders, subfolder) != 0) {
                Py_XDECREF(subfolder);
                goto fail;
            }
            Py_DECREF(subfolder);
            continue;
        }
        PyList_SET_ITEM(names, file++, name);
        record[0] = (int64_t)item->inode;
        record[1] = item->size;
        record[2] = item->mtime_ns;
        record[3] = item->ctime_ns;
        record += 4;
    }
    return Py_BuildValue("(NNN)", names, stats, subfolders);
fail:
    Py_XDECREF(names);
    Py_XDECREF(subfolders);
    Py_XDECREF(stats);
    return NULL;
}

static PyObject *list_folder(PyObject *module, PyObject *args) {
    PyObject *path_bytes = NULL;
    if (!PyArg_ParseTuple(args, "O&:list_folder", PyUnicode_FSConverter, &path_bytes))
        return NULL;
    Item *items = NULL;
    size_t count = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = read_folder(PyBytes_AS_STRING(path_bytes), &items, &count);
    Py_END_ALLOW_THREADS
    Py_DECREF(path_bytes);
    if (status == NO_MEMORY)
        return PyErr_NoMemory();
    if (status == NEEDS_PYTHON)
        Py_RETURN_NONE;
    PyObject *listing = as_python(items, count);
    free_items(items, count);
    return listing;
}

static PyMethodDef methods[] = {
    {"list_folder", list_folder, METH_VARARGS,
     "list_folder(path) -> (file_names, file_stats, subfolders) or None; see _listing.c"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_listing", NULL, -1, methods};

PyMODINIT_FUNC PyInit__listing(void) { return PyModule_Create(&module); }
