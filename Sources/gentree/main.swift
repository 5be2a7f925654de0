print("gentree")
