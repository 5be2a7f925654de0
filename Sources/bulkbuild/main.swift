print("bulkbuild")
